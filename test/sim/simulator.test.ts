// The simulator itself: reproducible from a seed, and its checker sees a double holding.
import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue.js";
import { createRng } from "./prng.js";
import { describeRun, simulate } from "./simulate.js";
import { defaultOptions } from "./sim-options.js";
import { earliestTakeoverMs } from "@vigil/shared/config/derived-timing";

describe("the deterministic cluster simulator", () => {
  it("replays a seed to the exact same trace and outcome", () => {
    const o = defaultOptions({ faults: ["link-down", "partition", "loss", "freeze"], faultCount: [2, 4] });
    for (const seed of [7, 1234, 99_991]) {
      const a = simulate(o, seed);
      const b = simulate(o, seed);
      expect(b.trace).toEqual(a.trace);
      expect(b.schedule).toEqual(a.schedule);
      expect(b.events).toBe(a.events);
      expect(describeRun(b)).toBe(describeRun(a));
      expect(a.trace.length).toBeGreaterThan(20);
    }
  });

  it("draws different schedules and runs from different seeds", () => {
    const o = defaultOptions();
    const traces = new Set([1, 2, 3, 4, 5].map((s) => simulate(o, s).trace.join("\n")));
    expect(traces.size).toBe(5);
  });

  it("runs a whole cluster through a fault-free start: every group starts once on its preferred node", () => {
    const r = simulate(defaultOptions({ faults: [] }), 42);
    expect(r.violation).toBeNull();
    expect(r.unsettled).toEqual([]);
    for (const [g, n] of [["g1", "n1"], ["g2", "n2"], ["g3", "n3"]]) {
      expect(r.trace.filter((l) => l.includes(`${n} ${g} starting → started`))).toHaveLength(1);
    }
  });

  it("catches two holders: a crashed node keeps its address while, without fencing, a peer takes it over", () => {
    const o = defaultOptions({ faults: [] });
    const r = simulate(o, 5, { schedule: [{ kind: "crash", node: "n1", at: 1000, until: 3000 }] });
    expect(r.violation?.holdings).toEqual([{ group: "g1", holders: ["n1", "n2"] }]);
    // kill -9 leaves the address in place until the host boots again: the documented reason for fencing.
    // Deadtime runs from the last heartbeat heard, at most one keepalive before the crash.
    expect(r.violation!.at).toBeGreaterThanOrEqual(1000 + earliestTakeoverMs(o.timing));
    expect(r.violation!.at).toBeLessThan(3000);
  });

  it("with fencing, the same crash is fenced before the group starts elsewhere", () => {
    const r = simulate(defaultOptions({ faults: [], fencing: true }), 5, { schedule: [{ kind: "crash", node: "n1", at: 1000, until: 3000 }] });
    expect(r.violation).toBeNull();
    expect(r.unsettled).toEqual([]);
    const fenced = r.trace.findIndex((l) => l.includes("fenced n1"));
    const takeover = r.trace.findIndex((l) => /n[23] g1 stopped\/stopped → starting/.test(l));
    expect(fenced).toBeGreaterThan(0);
    expect(takeover).toBeGreaterThan(fenced);
  });

  it("a two-node cluster on a ping witness loses quorum warntime + 1 ms after its last answer, not at the witness's next poll", () => {
    const o = defaultOptions({ nodes: 2, groups: 2, witness: "ping", faults: [] });
    const linkDown = 1000;
    const r = simulate(o, 11, { schedule: [{ kind: "link-down", node: "n2", at: linkDown, until: 1600 }] });
    const lost = r.trace.find((l) => l.includes("n2 QuorumLost"));
    expect(lost).toBeDefined();
    const at = Number(lost!.split(" ")[0]);
    // The last answer was read before the link went down; the poll would add up to max(20, keepalive/2).
    expect(at).toBeGreaterThan(linkDown);
    expect(at).toBeLessThanOrEqual(linkDown + o.timing.warntimeMs + 1);
    expect(r.violation).toBeNull();
  });

  it("orders events by virtual time, then by the order they were scheduled", () => {
    const q = new EventQueue<string>();
    const rng = createRng(3);
    const items = Array.from({ length: 200 }, (_, i) => ({ at: rng.int(0, 20), name: `e${i}` }));
    for (const it of items) q.push(it.at, it.name);
    const popped: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) popped.push(e.event);
    const expected = [...items].sort((a, b) => a.at - b.at || Number(a.name.slice(1)) - Number(b.name.slice(1))).map((i) => i.name);
    expect(popped).toEqual(expected);
  });

  it("a seeded random source repeats itself and its forks are independent streams", () => {
    const a = createRng(77);
    const b = createRng(77);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(new Set(xs).size).toBe(50);
    expect(createRng(77).fork(1).next()).not.toBe(createRng(77).fork(2).next());
  });
});
