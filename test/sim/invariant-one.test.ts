// Invariant 1 (DESIGN "Safety"): at no instant do two nodes hold one group. Thousands of seeded
// fault schedules with the `fast` profile, every node running the production controller, detector and
// worker timing as shipped, the heard-ago report included; a failure prints the seed, schedule and
// trace to replay.
//
// The fixes this simulator proposed have shipped (newest packet's payload only, `u` vouching only for
// up peers, the mutual rejoin gate, the lease from the older direction); the seeds that broke them
// are regression tests below. One defect of the shipped timing remains (peers flap late in a
// fault-free cluster), recorded below with the change that removes it.
import { describe, expect, it } from "vitest";
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { explore } from "./explore.js";
import { simulate, type RunResult } from "./simulate.js";
import { assertAllHeld } from "./report.js";
import { defaultOptions, type SimOptions } from "./sim-options.js";
import { leaseStop, SCENARIOS, witnessLeaseStop } from "./scenarios.js";

const fast = TIMING_PROFILES.fast;
const delayMs = [0.1, 5] as const;
// Stops that fit the lease (leaseStop, witnessLeaseStop: 44 ms with `fast`) come from scenarios.ts.

/** Link and partition faults. Freezes are left to the fencing runs: an agent stopped (SIGSTOP) while
 *  its groups are stopping cannot finish the stop, which is a stop longer than the lease. */
const noFencing = (over: Partial<SimOptions>): SimOptions =>
  defaultOptions({ timing: fast, delayMs, stopMs: leaseStop, faults: ["link-down", "partition"], faultCount: [1, 3], ...over });

/** `npm run sim`'s scenarios, whose seeds the regressions below come from. */
const scenario = (name: string, nodes: number): SimOptions => SCENARIOS.find((s) => s.name === name)!.options(nodes);
const fencing3 = (): SimOptions => scenario("every-fault-fencing", 3);
const fencing2 = (): SimOptions => scenario("two-nodes-fencing", 2);
const twoNodesIdealWitness = () => noFencing({ nodes: 2, groups: 2, witness: "ideal", stopMs: witnessLeaseStop, faults: ["link-down"], faultCount: [1, 1] });

/** The trace line's index, or −1. */
const lineOf = (r: RunResult, re: RegExp, from = 0) => r.trace.findIndex((l, i) => i >= from && re.test(l));

describe("Invariant 1 in a simulated cluster (fast profile, shipped node decision)", () => {
  it("2 nodes plus a witness reachable while the link is up, the active node's link fails: one holder at every instant", () => {
    // One fault per run: a partition between the two nodes while both reach the witness leaves both
    // quorate, the documented limit of a reachability witness ("What is missing"): configure fencing.
    assertAllHeld(explore(twoNodesIdealWitness(), 1, 300), "2 nodes + witness");
  });

  // 3 nodes without fencing, 3 with fencing and every fault, 2 on the ping witness, 2 with fencing:
  // the scenarios of `npm run sim`, whose fixed 1,000 seeds run in seeds.test.ts.
});

describe("Invariant 1: counterexamples of earlier code hold now (regressions)", () => {
  it("seed 165: a node whose link returns starts nothing until its peer hears it, while the peer takes its group over", () => {
    // Two holders before the mutual rejoin gate shipped (and before only the newest packet's payload
    // counted): n2's link is down, n1 takes g2 as the link returns; n2 regains quorum from packets
    // sent before n1 heard it again. (Seed 56 ran this until the heartbeat carried what starts rest on,
    // start-agreement.ts: the runs' draws follow the packets, and 56's link now returns before n1 acts.)
    const r = simulate(twoNodesIdealWitness(), 165);
    expect(r.violation).toBeNull();
    expect(r.unsettled).toEqual([]);
    const takeover = lineOf(r, /n1 g2 stopped\/stopped → starting\/started: n2 offline/);
    const gate = lineOf(r, /n2 rejoin gate closed/);
    expect(takeover).toBeGreaterThan(0);
    expect(gate).toBeGreaterThan(0);
    // n2 takes g2 back only after n1 has released it (failback).
    const released = lineOf(r, /n1 g2 stopping → stopped/, takeover);
    const restart = lineOf(r, /n2 g2 stopped\/stopped → starting/, takeover);
    expect(released).toBeGreaterThan(takeover);
    expect(restart).toBeGreaterThan(released);
  });

  it("seed 268: with every fault and fencing, nodes returning from isolation wait at the rejoin gate and one holder remains", () => {
    const r = simulate(fencing3(), 268);
    expect(r.violation).toBeNull();
    expect(r.unsettled).toEqual([]);
    expect(lineOf(r, /n2 rejoin gate closed/)).toBeGreaterThan(0);
    expect(lineOf(r, /n3 rejoin gate closed/)).toBeGreaterThan(0);
  });

  it("a node stalled (SIGSTOP) while its link is down loses quorum the instant it thaws: the stall does not stretch its lease", () => {
    // Found by the earlier simulator as seed 39, when the detector forgave the stall and with it
    // extended quorum. Now the stall makes every peer still up late, once (the deadline timer and the
    // periodic tick share stallReportedAt); the stop still needs what is left of the lease after the stall.
    const linkDown = 628.312;
    const freeze = 664.371;
    const thaw = 768.867;
    const schedule = [
      { kind: "link-down" as const, node: "n3", at: linkDown, until: 1383.126 },
      { kind: "freeze" as const, node: "n3", at: freeze, until: thaw },
    ];
    const r = simulate(noFencing({ faults: [], stopMs: [1, 10] }), 39, { schedule });
    expect(r.trace.filter((l) => l.startsWith("768.867 n3 QuorumLost"))).toHaveLength(1);
    const lates = r.trace
      .filter((l) => / n3 sees n[12] up → late/.test(l))
      .map((l) => ({ at: Number(l.split(" ")[0]), line: l, what: l.slice(l.indexOf(" ") + 1).split(" (")[0] }))
      .filter((x) => x.at >= linkDown && x.at <= thaw);
    // Each peer goes late once, at the latest at the thaw (the first timer to run finds it silent past
    // warntime), and not again: the stall is forgiven once, not twice.
    expect(lates.map((x) => x.what).sort()).toEqual(["n3 sees n1 up → late", "n3 sees n2 up → late"]);
    for (const x of lates) expect(x.at).toBeLessThanOrEqual(thaw);
    expect(r.violation).toBeNull();
    expect(r.unsettled).toEqual([]);
  });
});

describe("Invariant 1 with the shipped code: one-way and lossy links, the boot race, and the flapping report", () => {
  it("without fencing, heartbeats lost in one direction or in bursts no longer give a group two holders: each lease runs from when the peer last heard this node", () => {
    // Before the heard-ago report a peer vouched (`u`) for a node it had heard within warntime, so the
    // vouch could be a warntime old and the node kept quorum that long past its peers' deadtime clock
    // (about 1 and 11 in 1000 seeds broke Invariant 1). Measured with the report (before its slack): 0 of 5000 with stops of 1–94 ms.
    const lossy = noFencing({ faults: ["one-way", "loss"], faultCount: [1, 3] });
    const without = explore(lossy, 1, 200);
    expect(without.runs).toBe(200);
    expect(without.violations.map((r) => r.seed)).toEqual([]);
    // A run that does not settle here is the flapping report (below), not these faults.
    for (const r of without.unsettled) expect(r.trace.some((l) => l.includes("does not hear us") && Number(l.split(" ")[0]) > lastFaultEnd(r))).toBe(true);
    assertAllHeld(explore({ ...lossy, fencing: true }, 1, 200), "one-way and lossy links, fencing");
    // About 26 s of CPU: with both cores shared it ran past the default 60 s.
  }, 180_000);

  it("a node that boots waits for its peers to hear it before starting anything (seeds 661, 4380, 5324, 11733, 13842)", () => {
    // Found here: a booting node's first decision read payloads sent before those peers heard it
    // (n1 took g3 over from n3, fenced and rebooting, a few ms earlier) and started g3 as its
    // preferred node. The first quorum after start now opens the same gate as a regained one
    // (node-decision.ts: regainedAt), waiting only for the peers it hears.
    expect(simulate(fencing3(), 661).violation).toBeNull();
    expect(simulate(fencing3(), 4380).violation).toBeNull();
    expect(simulate(fencing3(), 13842).violation).toBeNull();
    expect(simulate(fencing2(), 5324).violation).toBeNull();
    expect(simulate(fencing2(), 11733).violation).toBeNull();
  });
});

describe("the heard-ago report's age: no flapping in a fault-free cluster", () => {
  // A peer's report says how long ago it last read this node's packet, and it is read once a
  // keepalive: just before the next one arrives it can be up to two keepalives plus delay jitter
  // old. Without slack (found here, seed 16), peers whose packets happened to arrive just after this
  // node sent went late ("does not hear us") with no fault at all, and a node lost quorum and stopped
  // its groups. The detector now gives the report one keepalive of slack (failure-detector.ts leaseEnd).
  const faultFree = (keepaliveMs: number) => defaultOptions({ timing: { ...fast, keepaliveMs }, faults: [] });
  const lateAfterBoot = (r: RunResult) => r.trace.filter((l) => l.includes("→ late") && Number(l.split(" ")[0]) > 1000);

  it("with the shipped `fast` profile no peer ever goes late in a fault-free cluster (seed 16 and 40 more)", () => {
    const runs = [16, ...Array.from({ length: 40 }, (_, i) => i + 100)].map((seed) => simulate(faultFree(fast.keepaliveMs), seed));
    expect(runs.flatMap(lateAfterBoot)).toEqual([]);
    expect(runs.filter((r) => r.violation || r.unsettled.length).map((r) => r.seed)).toEqual([]);
  });
});

/** When the run's last fault healed (0 without faults). */
function lastFaultEnd(r: RunResult): number {
  return Math.max(0, ...r.schedule.map((f) => f.until));
}
