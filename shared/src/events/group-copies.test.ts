// The fold's group holder does not depend on how the agents' streams interleave in the log
// (group-copies.ts). The streams below are the chaos trial's that broke "one truth"
// (`npm run chaos -- --seed 1989536812 --kind leader-kill-link`, trimmed to the events that matter):
// n2's publishes waited out the stream-leader election, so its failover and failback landed after
// n1 had started the group again.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, type ClusterView } from "./cluster-view.js";
import { makeEvent, type EventBody, type EventType, type VigilEvent } from "./vocabulary.js";

const IP = "IPaddr::198.51.100.50/24/eth0";
const T0 = Date.parse("2026-12-01T13:42:34.900Z");

/** One node's stream, in its own order; ids and times as the agent makes them. */
function stream(node: string) {
  const out: VigilEvent[] = [];
  let n = 0;
  const add = <T extends EventType>(at: number, type: T, body: EventBody<T>) => {
    out.push(makeEvent(type, body, { id: `${node}.1.${++n}`, node, time: T0 + at }));
    return api;
  };
  const api = {
    events: out,
    add,
    start: (at: number) => add(at, "GroupStarting", { group: "web" }).add(at, "ResourceStarting", { group: "web", resource: IP }).add(at, "ResourceStarted", { group: "web", resource: IP }).add(at, "GroupStarted", { group: "web" }),
    stop: (at: number) => add(at, "GroupStopping", { group: "web" }).add(at, "ResourceStopping", { group: "web", resource: IP }).add(at, "ResourceStopped", { group: "web", resource: IP }).add(at, "GroupStopped", { group: "web" }),
  };
  return api;
}

const config = (): EventBody<"ConfigLoaded"> => ({
  nodes: ["n1", "n2", "n3"],
  groups: [{ id: "web", preferredNode: "n1", resources: [IP] }],
  autoFailback: "on",
  keepaliveMs: 100,
  deadtimeMs: 500,
});

/** The three streams of the trial: n1's link down 2.5 s at +2 s while the stream leader was killed. */
function trialStreams() {
  const up = (s: ReturnType<typeof stream>, peers: string[]) => {
    s.add(0, "AgentStarted", { generation: 1, version: "x", pid: 1 }).add(0, "ConfigLoaded", config());
    for (const p of peers) s.add(100, "NodeUp", { peer: p, generation: 1 });
    return s.add(150, "MembershipChanged", { members: ["n1", "n2", "n3"], quorum: true });
  };
  const n1 = up(stream("n1"), ["n2", "n3"])
    .start(400)
    .add(2_000, "QuorumLost", { members: ["n1"] })
    .stop(2_000)
    .add(2_250, "NodeDead", { peer: "n2", silentMs: 501 })
    .add(2_250, "NodeDead", { peer: "n3", silentMs: 501 })
    .add(4_300, "NodeReturned", { peer: "n2", generation: 1 })
    .add(4_300, "NodeReturned", { peer: "n3", generation: 1 })
    .add(4_300, "MembershipChanged", { members: ["n1", "n2", "n3"], quorum: true })
    .start(5_400);
  const n2 = up(stream("n2"), ["n1", "n3"])
    .add(2_250, "NodeDead", { peer: "n1", silentMs: 501 })
    .add(2_250, "MembershipChanged", { members: ["n2", "n3"], quorum: true })
    .start(2_260)
    .add(4_300, "NodeReturned", { peer: "n1", generation: 1 })
    .stop(5_390);
  const n3 = up(stream("n3"), ["n1", "n2"])
    .add(2_250, "NodeDead", { peer: "n1", silentMs: 501 })
    .add(4_300, "NodeReturned", { peer: "n1", generation: 1 });
  return { n1: n1.events, n2: n2.events, n3: n3.events };
}

function fold(events: readonly VigilEvent[]): ClusterView {
  const v = emptyView("lab");
  events.forEach((e, i) => applyEvent(v, e, i + 1));
  return v;
}

const web = (v: ClusterView) => {
  const g = v.groups.get("web")!;
  return { node: g.node, state: g.state, resources: g.resources.map((r) => `${r.id} ${r.state}`) };
};

/** Every stream in its own order, merged as a seeded draw picks the next writer (a small LCG). */
function merge(streams: VigilEvent[][], seed: number): VigilEvent[] {
  const rest = streams.map((s) => [...s]);
  const out: VigilEvent[] = [];
  let x = seed >>> 0;
  while (rest.some((s) => s.length)) {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    const open = rest.filter((s) => s.length);
    out.push(open[x % open.length]!.shift()!);
  }
  return out;
}

const N1_HOLDS = { node: "n1", state: "started", resources: [`${IP} started`] };

describe("group copies: the holder whatever the order the streams reached the log", () => {
  it("the trial's order: n2's late failover and failback do not hide n1's restart", () => {
    const { n1, n2, n3 } = trialStreams();
    // n1's stream up to its restart, then n2's and n3's, held back by the election: the log's order.
    const logOrder = [...n3.slice(0, 5), ...n2.slice(0, 5), ...n1, ...n3.slice(5), ...n2.slice(5)];
    expect(web(fold(logOrder))).toEqual(N1_HOLDS);
  });

  it("the streams in time order give the same holder", () => {
    const { n1, n2, n3 } = trialStreams();
    const byTime = [...n1, ...n2, ...n3].sort((a, b) => a.time.localeCompare(b.time));
    expect(web(fold(byTime))).toEqual(N1_HOLDS);
  });

  it("any interleaving of the three streams folds to n1 holding the group", () => {
    const { n1, n2, n3 } = trialStreams();
    const seen = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const order = merge([n1, n2, n3], seed);
      seen.add(order.map((e) => e.node[1]).join(""));
      expect(web(fold(order)), `merge seed ${seed}`).toEqual(N1_HOLDS);
    }
    expect(seen.size, "distinct interleavings tried").toBeGreaterThan(150);
  });

  it("a dead node's last word does not take the group: n2 killed holding it, n3 took over and stopped", () => {
    const n2 = stream("n2").add(0, "AgentStarted", { generation: 1, version: "x", pid: 2 }).add(0, "ConfigLoaded", config()).start(100);
    const n3 = stream("n3")
      .add(0, "AgentStarted", { generation: 1, version: "x", pid: 3 })
      .add(1_000, "NodeDead", { peer: "n2", silentMs: 501 })
      .start(1_000)
      .stop(3_000);
    const v = fold([...n2.events, ...n3.events]);
    expect(v.nodes.get("n2")!.alive).toBe(false);
    expect(web(v)).toEqual({ node: null, state: "stopped", resources: [`${IP} stopped`] });
  });

  it("a restarted agent's copy from before its restart is gone", () => {
    const n1 = stream("n1").add(0, "AgentStarted", { generation: 1, version: "x", pid: 1 }).add(0, "ConfigLoaded", config()).start(100);
    const n2 = stream("n2").add(0, "AgentStarted", { generation: 1, version: "x", pid: 2 }).start(200);
    n1.add(300, "AgentStarted", { generation: 2, version: "x", pid: 4 });
    n2.stop(400);
    const v = fold([...n1.events, ...n2.events]);
    expect(v.groups.get("web")!.copies).toEqual({});
    expect(web(v)).toEqual({ node: null, state: "stopped", resources: [`${IP} stopped`] });
  });
});
