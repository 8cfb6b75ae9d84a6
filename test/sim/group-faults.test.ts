// The production group machine in the simulator, with resource agents that misbehave on script:
// starts that fail, monitors that fail, stops that hang past their timeout. Invariant 1 is checked
// after every event as in every run; "holds" is the machine's state or a resource still physically
// there, so a stop that hung keeps its node a holder until a power cycle.
import { describe, expect, it } from "vitest";
import { OCF } from "@vigil/resource-agents/agent-interface";
import { explore } from "./explore.js";
import { describeRun, simulate, type RunResult } from "./simulate.js";
import { defaultOptions, type SimOptions } from "./sim-options.js";
import type { ResourceCall, ResourceScript } from "./sim-resources.js";

const G1 = "IPaddr::203.0.113.10";
const on = (node: string, group: string, op: ResourceCall["op"], answer: ReturnType<ResourceScript>, nth?: number): ResourceScript =>
  (c) => (c.node === node && c.group === group && c.op === op && (nth === undefined || c.nth === nth) ? answer : undefined);
const lineOf = (r: RunResult, re: RegExp, from = 0) => r.trace.findIndex((l, i) => i >= from && re.test(l));
const noticesOf = (r: RunResult, node: string, type: string) => r.notices.filter((n) => n.node === node && n.notice.type === type).map((n) => n.notice);
/** Monitored every second, as an IPaddr resource would be (op monitor interval=…). */
const opts = (over: Partial<SimOptions>) => defaultOptions({ faults: [], monitorIntervalMs: 1_000, ...over });
/** n1's link is down for half a second: n1 loses quorum and stops g1, n2 takes it over. */
const n1Isolated = [{ kind: "link-down" as const, node: "n1", at: 1000, until: 1500 }];

describe("the production group machine on scripted resources", () => {
  it("a start that fails on n1: n1 unwinds it, reports the failure with the failcount at the threshold and goes failed; nobody else holds g1 meanwhile", () => {
    const r = simulate(opts({ script: on("n1", "g1", "start", { rc: OCF.ERR_GENERIC }) }), 42);
    expect(r.violation, describeRun(r)).toBeNull();
    const failed = noticesOf(r, "n1", "ResourceFailed");
    expect(failed).toMatchObject([{ group: "g1", resource: G1, op: "start", rc: OCF.ERR_GENERIC, failcount: 3 }]);
    // Start-failure-is-fatal: the failed resource is stopped (OCF leaves it unknown), then the group is failed.
    expect(lineOf(r, /n1 g1 starting → stopping/)).toBeGreaterThan(0);
    expect(lineOf(r, /n1 g1 stopping → failed/)).toBeGreaterThan(lineOf(r, /n1 g1 starting → stopping/));
    expect(r.groups.n1!.g1).toEqual({ state: "failed", failcounts: { [G1]: 3 }, holds: false });
    // The failcount reaches the peers through the simulated event log (ResourceFailed, folded): every
    // node places g1 elsewhere, and it settles on the next node in the policy's order.
    expect(r.unsettled, describeRun(r)).toEqual([]);
    const moved = ["n2", "n3"].filter((n) => r.groups[n]!.g1!.state === "started");
    expect(moved).toHaveLength(1);
    expect(lineOf(r, new RegExp(`${moved[0]} g1 stopped/stopped → starting/started`))).toBeGreaterThan(lineOf(r, /n1 g1 stopping → failed/));
  });

  it("a monitor that fails once on n1 (the address vanished): failcount 1, g1 recovered in place on n1", () => {
    // Call 1 is the probe at agent start, 2 the first recurring monitor.
    const r = simulate(opts({ script: on("n1", "g1", "monitor", { rc: OCF.NOT_RUNNING }, 3) }), 42);
    expect(r.violation, describeRun(r)).toBeNull();
    expect(r.unsettled, describeRun(r)).toEqual([]);
    expect(noticesOf(r, "n1", "ResourceFailed")).toMatchObject([{ group: "g1", op: "monitor", rc: OCF.NOT_RUNNING, failcount: 1 }]);
    const failedAt = lineOf(r, /n1 g1 .* monitor failed/);
    expect(lineOf(r, /n1 g1 started → stopping/, failedAt)).toBe(failedAt + 1);
    expect(lineOf(r, /n1 g1 stopping → starting/, failedAt)).toBeGreaterThan(failedAt);
    expect(lineOf(r, /n1 g1 starting → started/, failedAt)).toBeGreaterThan(failedAt);
    // In place: no other node started it, and the group stopping/started notices of a move are absent.
    expect(lineOf(r, /n[23] g1 stopped\/stopped → starting/)).toBe(-1);
    expect(r.groups.n1!.g1).toEqual({ state: "started", failcounts: { [G1]: 1 }, holds: true });
  });

  it("a monitor failing on every recurring call: recovered in place twice, at the migration threshold (3) g1 stops on n1 and is failed", () => {
    const script: ResourceScript = (c) => (c.node === "n1" && c.group === "g1" && c.op === "monitor" && c.nth >= 2 ? { rc: OCF.ERR_GENERIC } : undefined);
    const r = simulate(opts({ script }), 42);
    expect(r.violation, describeRun(r)).toBeNull();
    expect(noticesOf(r, "n1", "ResourceFailed").map((n) => "failcount" in n && n.failcount)).toEqual([1, 2, 3]);
    expect(r.groups.n1!.g1).toMatchObject({ state: "failed", holds: false });
  });

  it("n2's stop hangs past its timeout at failback, without fencing: g1 is blocked on n2 and never starts on n1", () => {
    const r = simulate(opts({ autoFailback: "on", script: on("n2", "g1", "stop", { hang: true }) }), 42, { schedule: n1Isolated });
    expect(r.violation, describeRun(r)).toBeNull();
    const blocked = lineOf(r, /n2 g1 GroupBlocked: stop of .* timed out after 1000 ms/);
    expect(blocked, describeRun(r)).toBeGreaterThan(0);
    expect(noticesOf(r, "n2", "FenceRequested")).toMatchObject([{ victim: "n2" }]);
    expect(lineOf(r, /n1 g1 stopped\/stopped → starting/, blocked)).toBe(-1);
    // The hung stop left the address on n2: n2 still holds g1, blocked, until someone cleans up.
    expect(r.groups.n2!.g1).toEqual({ state: "blocked", failcounts: { [G1]: 1 }, holds: true });
    expect(r.unsettled).toContainEqual({ invariant: "settles", message: "g1 runs on no node" });
  });

  it("the same hung stop with fencing: n1 fences n2 (it reports g1 blocked), then starts g1; the cluster settles", () => {
    const r = simulate(opts({ autoFailback: "on", fencing: true, script: on("n2", "g1", "stop", { hang: true }) }), 42, { schedule: n1Isolated });
    expect(r.violation, describeRun(r)).toBeNull();
    expect(r.unsettled, describeRun(r)).toEqual([]);
    const blocked = lineOf(r, /n2 g1 stopping → blocked/);
    const fenced = lineOf(r, /n1 fenced n2: powered off/, blocked);
    const start = lineOf(r, /n1 g1 stopped\/stopped → starting/, blocked);
    expect(blocked).toBeGreaterThan(0);
    expect(fenced).toBeGreaterThan(blocked);
    expect(start).toBeGreaterThan(fenced);
  });

  it("a stop that hangs while n1 is cut off: without fencing n2 takes g1 over at deadtime while the address is still on n1 (two holders); with fencing, never", () => {
    const script = on("n1", "g1", "stop", { hang: true });
    const bare = simulate(opts({ script }), 42, { schedule: n1Isolated });
    expect(bare.violation?.holdings).toEqual([{ group: "g1", holders: ["n1", "n2"] }]);
    const fenced = simulate(opts({ script, fencing: true }), 42, { schedule: n1Isolated });
    expect(fenced.violation, describeRun(fenced)).toBeNull();
    expect(fenced.unsettled, describeRun(fenced)).toEqual([]);
  });
});

describe("Invariant 1 with misbehaving resources (fencing, every fault)", () => {
  /** About one action in eight fails or hangs, picked by a hash of the call (the same for a seed). */
  const flaky: ResourceScript = (c) => {
    const h = hash(`${c.node} ${c.resource} ${c.op} ${c.nth} ${Math.round(c.at * 1000)}`) % 24;
    if (h === 0) return { rc: OCF.ERR_GENERIC };
    if (h === 1) return { hang: true };
    if (h === 2 && c.op === "monitor") return { rc: OCF.NOT_RUNNING };
    if (h === 3) return { ms: 400 }; // slow
    return undefined;
  };
  const flakyOptions = () =>
    defaultOptions({ fencing: true, monitorIntervalMs: 1_000, stopMs: [1, 300], faults: ["link-down", "partition", "one-way", "loss", "freeze", "crash"], script: flaky });

  it("starts, stops and monitors that fail, hang or are slow: one holder at every instant", () => {
    const e = explore(flakyOptions(), 1, 100);
    expect(e.runs).toBe(100);
    // Failed and blocked groups wait for a cleanup, so only safety is asserted. Found by this test:
    // - seed 94 (and 82): nodes whose placements differed, each knowing only its own failcounts, both
    //   started a group; failcounts travel through the event log, which the simulator now models.
    // - seed 66: a node stopping a group after a failed probe "kept" it when its holder died unfenced
    //   and started it before the fence (node-decision.test.ts has the case; fixed in decideNode).
    expect(e.violations.map((r) => r.seed)).toEqual([]);
  });

  it("seed 47: no start of g3 while a peer is still probing it (once: two holders when a START reached a probing machine)", () => {
    // Found here: n3's START reached its own g3 while that probed, and in `probing` START set only
    // `probeRun`: the goal stayed "stopped", the controller never sent the STOP, and n3 started g3 when
    // its probe timed out, while n2 held it (two holders at 600 ms). The probe's START/STOP set the goal
    // now (group-probe.test.ts, "told to run while probing and then not"), and a start waits for every
    // peer's probe of the group (start-agreement.ts probeWait): the run now takes another path.
    const r = simulate(flakyOptions(), 47);
    expect(r.violation, describeRun(r)).toBeNull();
    expect(r.trace.filter((l) => / g3 start waits: n\d has not yet probed g3/.test(l)).length, describeRun(r)).toBeGreaterThan(0);
  });
});

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
