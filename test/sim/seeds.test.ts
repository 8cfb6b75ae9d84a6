// The fixed 1,000 seeds CI runs: `npm run sim`'s draw of scenarios (test/sim/scenarios.ts) over
// seeds 1–1000, clusters of 2 and 3 nodes (larger ones cost too much for CI: `npm run sim` runs them;
// the seeds that broke larger clusters are regressions below).
// Every invariant is checked after every run; the seeds that break one today are named below, each
// with why, and a seed that starts or stops breaking one fails this test.
import { describe, expect, it } from "vitest";
import { judgeRun, runSeed } from "./sim-run.js";

/** Found by these seeds and not fixed (none now; seed 142, two folds that placed differently, is
 *  commands.test.ts's regression: docs/architecture.md, "Starts rest on what the nodes agree on"). */
const KNOWN: Record<number, string> = {};

describe("the simulator's fixed 1,000 seeds", () => {
  it("every scenario of npm run sim, 2 and 3 nodes: no invariant broken but the known seeds", () => {
    const broke: Record<number, string> = {};
    let runs = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const r = runSeed(seed, { maxNodes: 3 })!;
      runs++;
      const b = judgeRun(r.run);
      if (b.length) broke[seed] = `${r.scenario}, ${r.nodes} nodes: ${b.map((x) => `${x.invariant} (${x.detail})`).join("; ")}`;
    }
    expect(runs).toBe(1000);
    expect(Object.keys(broke).map(Number), JSON.stringify(broke, null, 1)).toEqual(Object.keys(KNOWN).map(Number));
  }, 600_000);

  it("the seeds that broke clusters of 4 to 7 nodes hold now", () => {
    const regressions: Array<[seed: number, scenario: string, nodes: number, what: string]> = [
      [176, "links-no-fencing", 7, "a failover choice counted another dead node's groups (policy.ts)"],
      [828, "links-no-fencing", 5, "the failover load counted where timing-dependent failbacks go (policy.ts)"],
      [952, "links-no-fencing", 6, "the same"],
      [525, "every-fault-fencing", 4, "a rebooted peer's earlier report was kept (peer-table.ts)"],
      // Since the heartbeat says what starts rest on, this seed's run is no longer the one that found
      // the defect (its draws follow the packets); node-decision.test.ts holds that decision itself.
      [277, "log-and-commands", 4, "a failover choice changed when the chooser's own stop ended (start-agreement.ts)"],
      [91, "every-fault-fencing", 6, "broke when a node kept its own earlier choice for a warntime (c58f8ff, taken out)"],
      // An agent restarted (kill -9, its address left configured) while an operator's move of its
      // group waited: its first report listed nothing, and the move's target started the group beside
      // the address (start-agreement.ts probeWait: a report says which groups are not probed yet).
      [176, "log-and-commands", 3, "a restarted agent's first report said it held nothing before its probe answered"],
      [197, "log-and-commands", 3, "the same"],
      [217, "log-and-commands", 3, "the same"],
    ];
    for (const [seed, scenario, nodes, what] of regressions) {
      const r = runSeed(seed, { scenario, nodes })!;
      expect(judgeRun(r.run), `seed ${seed}: ${what}`).toEqual([]);
    }
  }, 120_000);
});
