// Issue 7, defect 9, in the simulator: random loss in and out of one node (the lab's nftables
// `numgen random`: one draw per datagram it sends, for every receiver at once, and one per datagram
// it receives) warns but does not flap. The production worker rules run here: the loss meter, the
// extra heartbeats per keepalive, the lease and the node decision.
import { describe, expect, it } from "vitest";
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { describeRun, simulate } from "./simulate.js";
import { defaultOptions } from "./sim-options.js";
import { earliestTakeoverMs } from "@vigil/shared/config/derived-timing";

const LAB = { keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 500, initdeadMs: 2_000 };
const FROM = 3_000;
const UNTIL = 33_000;

function lossRun(timing: typeof LAB, rate: number, seed: number) {
  const o = defaultOptions({ nodes: 3, groups: 3, timing, faults: [], settleMs: 3_000 });
  const r = simulate(o, seed, { schedule: [{ kind: "random-loss", node: "n1", rate, at: FROM, until: UNTIL }] });
  const during = r.trace.filter((l) => {
    const t = Number(l.split(" ")[0]);
    return t >= FROM && t <= UNTIL;
  });
  return { r, during };
}

describe("random loss on one node's link", () => {
  for (const [name, timing] of [["keepalive 100 ms, deadtime 500 ms", LAB], ["the fast profile", TIMING_PROFILES.fast]] as const) {
    it(`20% for 30 s with ${name}: no peer called dead, no quorum lost, no group stopped (seeds 1–8)`, () => {
      for (let seed = 1; seed <= 8; seed++) {
        const { r, during } = lossRun(timing, 0.2, seed);
        const flaps = during.filter((l) => / → dead|QuorumLost|→ stopping/.test(l));
        expect(flaps, describeRun(r)).toEqual([]);
        expect(r.violation, describeRun(r)).toBeNull();
        expect(r.unsettled, describeRun(r)).toEqual([]);
      }
    });
  }

  it("the node's link then going down still fails its group over after deadtime, extra heartbeats or not", () => {
    const o = defaultOptions({ nodes: 3, groups: 3, timing: LAB, faults: [], settleMs: 3_000 });
    const cut = 10_000;
    const r = simulate(o, 3, {
      schedule: [
        { kind: "random-loss", node: "n1", rate: 0.2, at: FROM, until: 20_000 },
        { kind: "link-down", node: "n1", at: cut, until: 20_000 },
      ],
    });
    expect(r.violation, describeRun(r)).toBeNull();
    const dead = r.trace.filter((l) => / sees n1 (up|late) → dead/.test(l)).map((l) => Number(l.split(" ")[0]));
    expect(dead.length, describeRun(r)).toBe(2);
    // Deadtime counts from the last packet heard, sent at most one (shortened) interval before the cut.
    for (const at of dead) {
      expect(at - cut).toBeGreaterThanOrEqual(earliestTakeoverMs(LAB));
      expect(at - cut).toBeLessThanOrEqual(LAB.deadtimeMs + 20);
    }
    const takeover = r.trace.find((l) => /n[23] g1 stopped\/stopped → starting/.test(l) && Number(l.split(" ")[0]) > cut);
    expect(takeover, describeRun(r)).toBeDefined();
    expect(Number(takeover!.split(" ")[0]) - cut).toBeLessThanOrEqual(LAB.deadtimeMs + 100);
  });
});
