// The fixed 1,000 seeds CI runs: `npm run sim`'s draw of scenarios (test/sim/scenarios.ts) over
// seeds 1–1000, clusters of 2 to 4 nodes (larger ones cost too much for CI: `npm run sim` runs them).
// Every invariant is checked after every run; the seeds that break one today are named below, each
// with why, and a seed that starts or stops breaking one fails this test.
import { describe, expect, it } from "vitest";
import { judgeRun, runSeed } from "./sim-run.js";

/** Found by these seeds and not fixed (docs/architecture.md, "the simulated event log"): */
const KNOWN: Record<number, string> = {
  // Placement reads the folded log, and two folds that differ place differently: a node whose log
  // reader hangs has not folded a standby, a peer has, and both start a dead node's group for about
  // a heartbeat (commands.test.ts, seed 142 of its own options).
  142: "log-and-commands, 3 nodes: one holder",
  // A failover choice that changes when the chooser's own stop ends: n4 fenced, n1 (g2 still
  // stopping on n2 after a move) takes g4 as the first of two equally loaded; 2 ms later n2's stop
  // of g2 ends, n2 is the least loaded in its own eyes before n1's heartbeat says it holds g4, and
  // starts g4 too. The load a node reads of itself is newer than what its peers read of it.
  277: "log-and-commands, 4 nodes: one holder",
};

describe("the simulator's fixed 1,000 seeds", () => {
  it("every scenario of npm run sim, 2–4 nodes: no invariant broken but the known seeds", () => {
    const broke: Record<number, string> = {};
    let runs = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const r = runSeed(seed, { maxNodes: 4 })!;
      runs++;
      const b = judgeRun(r.run);
      if (b.length) broke[seed] = `${r.scenario}, ${r.nodes} nodes: ${b.map((x) => `${x.invariant} (${x.detail})`).join("; ")}`;
    }
    expect(runs).toBe(1000);
    expect(Object.keys(broke).map(Number), JSON.stringify(broke, null, 1)).toEqual(Object.keys(KNOWN).map(Number));
  }, 600_000);
});
