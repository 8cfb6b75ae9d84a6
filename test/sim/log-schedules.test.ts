// The production controller over the simulated event log: schedules that mix network faults and
// crashes with log faults (NATS unreachable for everyone or one agent, the store wiped, a follower
// that hangs). Invariant 1 is checked after every event; after heal every run must settle, and the
// log's invariants hold (exactly once, nothing lost, outboxes drained, every fold equal to the log's).
import { describe, expect, it } from "vitest";
import { explore } from "./explore.js";
import { describeRun, simulate } from "./simulate.js";
import { assertAllHeld } from "./report.js";
import { defaultOptions, LOG_FAULTS } from "./sim-options.js";

const mixed = () => defaultOptions({ fencing: true, stopMs: [1, 300], faults: ["link-down", "partition", "crash", ...LOG_FAULTS], faultCount: [1, 4] });

describe("the controller over the simulated event log", () => {
  it("network faults, crashes and log faults (outages, wiped stores, hung followers): one holder at every instant, and every fold converges after heal", () => {
    const e = explore(mixed(), 1, 200);
    assertAllHeld(e, "3 nodes, fencing, network and log faults");
    // The schedules reach what they are for: rebuilds of a lost log and restarts of a hung reader.
    const runs = Array.from({ length: 40 }, (_, i) => simulate(mixed(), i + 1));
    expect(runs.filter((r) => r.trace.some((l) => l.includes("log lost"))).length).toBeGreaterThan(5);
    expect(runs.filter((r) => r.trace.some((l) => l.includes("log reader restarted"))).length).toBeGreaterThan(0);
  });

  it("failover does not wait for the log: with NATS unreachable for everyone, a crashed node's group is fenced and started elsewhere during the outage", () => {
    const o = defaultOptions({ fencing: true, faults: [] });
    const outage = { kind: "log-outage" as const, nodes: null, at: 800, until: 4_000 };
    const r = simulate(o, 5, { schedule: [outage, { kind: "crash", node: "n1", at: 1_000, until: 3_000 }] });
    expect(r.violation, describeRun(r)).toBeNull();
    expect(r.unsettled, describeRun(r)).toEqual([]);
    const takeover = r.trace.find((l) => /n[23] g1 stopped\/stopped → starting\/started/.test(l));
    expect(takeover, describeRun(r)).toBeDefined();
    expect(Number(takeover!.split(" ")[0])).toBeLessThan(outage.until);
    // What was written during the outage reached the log after it (nothing lost is checked at settle).
    expect(r.records.some((x) => x.event.type === "Fenced" && x.at < outage.until)).toBe(true);
  });
});
