// How long the cluster view takes to fold a long log: `applyEvent` over a realistic mix of events
// (membership, placement, group and resource transitions, operator commands), generated in chunks so
// that only the fold is timed and memory stays flat apart from the view's own applied-id set.
import { performance } from "node:perf_hooks";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";

const NODES = ["n1", "n2", "n3"];
const GROUPS = Array.from({ length: 10 }, (_, i) => `g${i}`);

/** One template per kind of event the log holds in steady operation; ids are filled in per copy. */
function templates(): VigilEvent[] {
  const meta = (node: string) => ({ id: "t", node, time: Date.UTC(2026, 0, 1), cause: "bench" });
  const out: VigilEvent[] = [];
  for (const [i, g] of GROUPS.entries()) {
    const node = NODES[i % 3]!;
    const other = NODES[(i + 1) % 3]!;
    const resource = `IPaddr::198.51.100.${50 + i}/24/eth0`;
    out.push(
      makeEvent("NodeLate", { peer: other, silentMs: 120 }, meta(node)),
      makeEvent("NodeDead", { peer: other, silentMs: 210 }, meta(node)),
      makeEvent("NodeReturned", { peer: other, generation: 7 }, meta(node)),
      makeEvent("PlacementDecided", { placement: { [g]: node }, reasons: { [g]: `preferred node ${node}` } }, meta(node)),
      makeEvent("GroupStarting", { group: g }, meta(node)),
      makeEvent("ResourceStarting", { group: g, resource }, meta(node)),
      makeEvent("ResourceStarted", { group: g, resource }, meta(node)),
      makeEvent("GroupStarted", { group: g }, meta(node)),
      makeEvent("StandbyRequested", { target: node }, meta("cli")),
      makeEvent("GroupStopping", { group: g }, meta(node)),
      makeEvent("ResourceStopping", { group: g, resource }, meta(node)),
      makeEvent("ResourceStopped", { group: g, resource }, meta(node)),
      makeEvent("GroupStopped", { group: g }, meta(node)),
      makeEvent("OnlineRequested", { target: node }, meta("cli")),
      makeEvent("ResourceFailed", { group: g, resource, op: "monitor", rc: 7, message: "not running", failcount: 1 }, meta(node)),
      makeEvent("MoveRequested", { group: g, target: other }, meta("cli")),
      makeEvent("MoveCleared", { group: g }, meta("cli")),
      makeEvent("FailcountCleared", { group: g, on: "*" }, meta(node)),
      makeEvent("MembershipChanged", { members: NODES, quorum: true }, meta(node)),
    );
  }
  return out;
}

export interface FoldResult {
  events: number;
  foldMs: number;
  eventsPerSecond: number;
}

export function benchFold(total: number, chunk = 100_000, progress: (done: number) => void = () => {}): FoldResult {
  const view = emptyView("bench");
  const config = makeEvent(
    "ConfigLoaded",
    {
      nodes: NODES,
      groups: GROUPS.map((g, i) => ({ id: g, preferredNode: NODES[i % 3]!, resources: [`IPaddr::198.51.100.${50 + i}/24/eth0`] })),
      autoFailback: "on",
      keepaliveMs: 50,
      deadtimeMs: 200,
    },
    { id: "config", node: "n1", time: Date.UTC(2026, 0, 1) },
  );
  applyEvent(view, config, 1);
  const tpl = templates();
  let foldMs = 0;
  let seq = 1;
  for (let done = 0; done < total; ) {
    const n = Math.min(chunk, total - done);
    const batch: VigilEvent[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = { ...tpl[(done + i) % tpl.length]!, id: `e${done + i}` } as VigilEvent;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) applyEvent(view, batch[i]!, ++seq);
    foldMs += performance.now() - t0;
    done += n;
    progress(done);
  }
  if (view.applied.size !== total + 1) throw new Error(`bench: folded ${view.applied.size} distinct events, expected ${total + 1}`);
  return { events: total, foldMs, eventsPerSecond: (total / foldMs) * 1000 };
}
