// Seeded schedules of every log fault at once — outages (all, or some nodes), slow and lost acks,
// a short duplicate window, stalled followers, agents restarted from their snapshots, wiped stores —
// while three agents write events; after the faults heal, every log invariant must hold. The agents'
// outbox, publisher, follower, watchdog and rebuild are the production parts (sim-log.ts); the
// snapshot is the agent's own file format and fit check (view-snapshot.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { loadViewSnapshot, saveViewSnapshot } from "@vigil/agent/events/view-snapshot";
import { PUBLISH_TIMEOUT_MS } from "@vigil/agent/events/publisher";
import { createRng, type Rng } from "./prng.js";
import { agent, CLUSTER, CONFIG, newLog, run } from "./log-harness.js";
import { logInvariants } from "./log-invariants.js";
import type { SimAgentLog, SimLog } from "./sim-log.js";

const NODES = ["n1", "n2", "n3"];
const FAULTS_UNTIL = 60_000;
/** Long enough after the last fault for every retry, look and rebuild to be done. */
const HEAL_MS = 40_000;
const SEEDS = 150;

const dir = mkdtempSync(join(tmpdir(), "vigil-simlog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Step = { at: number; what: string; act: () => void };

function schedule(rng: Rng, log: SimLog, agents: Map<string, SimAgentLog>, written: Set<string>): Step[] {
  const steps: Step[] = [];
  let ids = 0;
  const write = (node: string, at: number): Step => ({
    at,
    what: `${node} writes`,
    act: () => {
      const types: Array<() => VigilEvent> = [
        () => makeEvent("NodeUp", { peer: rng.pick(NODES), generation: 1 }, { id: `${node}.w${++ids}`, node, time: at }),
        () => makeEvent("StandbyRequested", { target: rng.pick(NODES) }, { id: `${node}.w${++ids}`, node, time: at }),
        () => makeEvent("OnlineRequested", { target: rng.pick(NODES) }, { id: `${node}.w${++ids}`, node, time: at }),
        () => makeEvent("GroupStarted", { group: "web" }, { id: `${node}.w${++ids}`, node, time: at }),
      ];
      const e = rng.pick(types)();
      written.add(e.id);
      agents.get(node)!.append(e);
    },
  });
  for (let i = rng.int(20, 60); i > 0; i--) steps.push(write(rng.pick(NODES), rng.int(0, FAULTS_UNTIL)));
  const window = () => {
    const from = rng.int(0, FAULTS_UNTIL - 1_000);
    return [from, Math.min(FAULTS_UNTIL, from + rng.int(200, 15_000))] as const;
  };
  for (let i = rng.int(0, 3); i > 0; i--) {
    const [from, to] = window();
    const some = rng.chance(0.5) ? [rng.pick(NODES)] : undefined;
    log.outage(from, to, some);
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const [from, to] = window();
    log.slowAcks(from, to, rng.chance(0.5) ? rng.int(100, PUBLISH_TIMEOUT_MS - 1) : rng.int(PUBLISH_TIMEOUT_MS, 2 * PUBLISH_TIMEOUT_MS));
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const node = rng.pick(NODES);
    steps.push({ at: rng.int(0, FAULTS_UNTIL), what: `${node}'s follower stalls`, act: () => agents.get(node)!.stall() });
  }
  for (let i = rng.int(0, 2); i > 0; i--) {
    const node = rng.pick(NODES);
    const at = rng.int(0, FAULTS_UNTIL);
    steps.push({
      at,
      what: `${node} restarts`,
      act: () => {
        // agent.start: the snapshot if NATS answers and the stream can continue it, else an empty fold.
        const a = agents.get(node)!;
        const path = join(dir, `${node}.json`);
        const stream = log.exists && log.reachable(node, at) ? { created: log.created!, firstSeq: log.entries()[0]?.seq ?? 0, lastSeq: log.lastSeq } : null;
        const view = (stream && loadViewSnapshot(path, CLUSTER, stream)) || null;
        a.restart(at, view ?? emptyView(CLUSTER), view ? stream!.created : null);
      },
    });
  }
  if (rng.chance(0.4)) steps.push({ at: rng.int(1_000, FAULTS_UNTIL), what: "the store is wiped", act: () => log.wipe(steps.find((s) => s.what === "the store is wiped")!.at) });
  // agent.ts saveSnapshot: every 10 s, when the fold names its stream.
  for (let at = 10_000; at < FAULTS_UNTIL + HEAL_MS; at += 10_000)
    for (const node of NODES)
      steps.push({
        at,
        what: "",
        act: () => {
          const a = agents.get(node)!;
          if (a.fold.streamCreated) saveViewSnapshot(join(dir, `${node}.json`), a.live, a.fold.streamCreated);
        },
      });
  return steps.sort((a, b) => a.at - b.at);
}

interface Trial {
  problems: string[];
  trace: string[];
  /** What the seed exercised: rebuilds, watchdog restarts, ids stored twice (past the window), events. */
  seen: { rebuilds: number; restarts: number; duplicates: number; events: number };
}

function trial(seed: number): Trial {
  const rng = createRng(seed);
  for (const n of NODES) rmSync(join(dir, `${n}.json`), { force: true });
  const shortWindow = rng.chance(0.3) ? { duplicateWindowMs: rng.int(1_000, 8_000) } : {};
  const log = newLog({ ...shortWindow, ackMs: rng.int(1, 20), deliveryMs: rng.int(1, 20) });
  const agents = new Map(NODES.map((n) => [n, agent(log, n)]));
  const written = new Set<string>();
  for (const n of NODES) {
    const e = makeEvent("ConfigLoaded", CONFIG, { id: `${n}.config`, node: n, time: 0 });
    written.add(e.id);
    agents.get(n)!.append(e);
  }
  const steps = schedule(rng, log, agents, written);
  const all = [...agents.values()];
  let now = 0;
  for (const s of steps) {
    if (s.at > now) run(all, now, s.at - 1);
    now = s.at;
    s.act();
  }
  run(all, now, FAULTS_UNTIL + HEAL_MS);
  const found = logInvariants(log, all, [], { now: FAULTS_UNTIL + HEAL_MS, boundMs: HEAL_MS, appended: written });
  const problems = Object.entries(found).flatMap(([k, v]) => v.map((x) => `${k}: ${x}`));
  const ids = log.entries().map((e) => e.event.id);
  const seen = {
    rebuilds: all.reduce((n, a) => n + a.rebuilds, 0),
    restarts: all.reduce((n, a) => n + a.restarts, 0),
    duplicates: ids.length - new Set(ids).size,
    events: ids.length,
  };
  return { problems, trace: steps.filter((s) => s.what).map((s) => `${s.at} ${s.what}`), seen };
}

describe("the log model under seeded fault schedules", () => {
  it(`${SEEDS} seeds: after heal every event is in the log once, every outbox is drained and every fold is the log's`, () => {
    const bad: string[] = [];
    const total = { rebuilds: 0, restarts: 0, duplicates: 0, events: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = trial(seed);
      for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += r.seen[k];
      if (r.problems.length > 0) bad.push(`seed ${seed}: ${r.problems.join("; ")}\n  ${r.trace.join("\n  ")}`);
    }
    expect(bad.slice(0, 3).join("\n")).toBe("");
    // The schedules reached every fault's consequence: rebuilt logs, restarted readers, ids stored
    // again after a (short) duplicate window.
    expect(total.rebuilds).toBeGreaterThan(SEEDS / 4);
    expect(total.restarts).toBeGreaterThan(SEEDS / 10);
    expect(total.duplicates).toBeGreaterThan(0);
    console.log(`log faults: ${SEEDS} seeds, ${JSON.stringify(total)}`);
  });
});
