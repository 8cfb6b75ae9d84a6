// The lease rule (docs/architecture.md, "Quorum and the lease"): a node that has not been heard by a
// quorum within warntime stops its groups; peers take them only after deadtime. Without fencing,
// Invariant 1 therefore rests on how long the stop takes. These runs find where that edge really
// lies with the shipped timing (@vigil/shared/config/derived-timing). Since the heartbeats carry the heard-ago report a
// node's lease runs from when its peers last heard it, plus a keepalive of slack for the report's own
// age: 44 ms for `fast` with 0.1–5 ms delays (deadtime − warntime − keepalive − largest delay − 1 ms).
// A two-node cluster whose quorum is a ping witness has about the same: the witness's answers do not
// say when the peer last heard it, so a keepalive plus the delay spread counts against it.
import { describe, expect, it } from "vitest";
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { explore } from "./explore.js";
import { documentedStopBudgetMs, peerLeaseStopBudgetMs, witnessLeaseStopBudgetMs } from "@vigil/shared/config/derived-timing";
import { assertAllHeld, failureReport } from "./report.js";
import { defaultOptions, type SimOptions } from "./sim-options.js";

const fast = TIMING_PROFILES.fast;
const delayMs = [0.1, 5] as const;
const documented = documentedStopBudgetMs(fast); // 100 ms
const budget = peerLeaseStopBudgetMs(fast, delayMs[1]); // 44 ms
const witnessBudget = witnessLeaseStopBudgetMs(fast, delayMs[1] - delayMs[0]); // 44.1 ms

const linkFaults = (stopMs: readonly [number, number], over: Partial<SimOptions> = {}): SimOptions =>
  defaultOptions({ timing: fast, delayMs, stopMs, faults: ["link-down", "partition"], faultCount: [1, 2], ...over });
const pingWitness = (stopMs: readonly [number, number]): SimOptions =>
  linkFaults(stopMs, { nodes: 2, groups: 2, witness: "ping", faults: ["link-down"], faultCount: [1, 1] });

/** The first seed (from 1) whose run gives a group two holders, with its replay report. */
function counterexample(o: SimOptions, seeds: number): { seed: number; report: string } | null {
  const e = explore(o, 1, seeds, 1);
  const r = e.violations[0];
  return r ? { seed: r.seed, report: failureReport(e, "counterexample")! } : null;
}

describe("the lease rule without fencing (fast profile)", () => {
  it(`stops that finish within deadtime − warntime − keepalive − largest delay − 1 ms (${budget} ms) never give a group two holders`, () => {
    // A start already running when the lease ends must finish before the stop begins: it counts too.
    assertAllHeld(explore(linkFaults([budget / 2, budget]), 1, 200), `stops of ${budget / 2}–${budget} ms`);
  });

  it(`stops longer than deadtime − warntime (${documented} ms) do give two holders: the fence window`, () => {
    const found = counterexample(linkFaults([documented + 10, 3 * documented]), 50);
    expect(found, "a seed where a slow stop overlaps the takeover").not.toBeNull();
  });

  it(`stops between the budget and deadtime − warntime can give two holders too: the report's slack and transit count against the lease`, () => {
    const found = counterexample(linkFaults([budget + 2, documented]), 400);
    expect(found).not.toBeNull();
  });

  it("with fencing, the same slow stops keep one holder: the victim is fenced before its group starts elsewhere", () => {
    assertAllHeld(explore(linkFaults([documented + 10, 3 * documented], { fencing: true }), 1, 150), "slow stops with fencing");
  });

  it(`two nodes with the ping witness: stops within deadtime − warntime − keepalive − delay spread − 1 ms (${witnessBudget} ms) keep one holder`, () => {
    assertAllHeld(explore(pingWitness([witnessBudget / 2, witnessBudget]), 1, 300), `ping witness, stops of ${witnessBudget / 2}–${witnessBudget} ms`);
  });
});
