import { describe, expect, it } from "vitest";
import { earliestTakeoverMs, fenceWindowMs, leaseStopBudgetMs, leaseTiming, RENEW_SAFETY_MS } from "./derived-timing.js";
import { TIMING_PROFILES } from "./timing-profiles.js";

describe("the address lease's timing", () => {
  it("gives a lifetime of deadtime in whole seconds, at least 1 s, renewed four times per lifetime", () => {
    expect(leaseTiming({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 })).toMatchObject({ lifetimeS: 1, renewEveryMs: 250, tickMs: 50 });
    expect(leaseTiming({ keepaliveMs: 2_000, warntimeMs: 15_000, deadtimeMs: 30_000 })).toMatchObject({ lifetimeS: 30, renewEveryMs: 7_500, tickMs: 200 });
    expect(leaseTiming({ keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 2_500 }).lifetimeS).toBe(2);
  });

  it("catches every stall a peer could have taken for death, and never lets a renewal after a shorter one land past the lifetime", () => {
    for (const t of [
      { keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 },
      { keepaliveMs: 100, warntimeMs: 900, deadtimeMs: 950 },
      { keepaliveMs: 1_000, warntimeMs: 5_000, deadtimeMs: 10_000 },
    ]) {
      const l = leaseTiming(t);
      expect(l.stallLimitMs).toBeLessThanOrEqual(t.warntimeMs);
      expect(l.tickMs + l.stallLimitMs).toBeLessThanOrEqual(earliestTakeoverMs(t));
      // The worst renewal: one renewal period, then the longest gap that is not a lapse.
      expect(l.renewEveryMs + l.tickMs + l.stallLimitMs + RENEW_SAFETY_MS).toBeLessThanOrEqual(l.lifetimeS * 1000);
    }
  });
});

describe("the lease rule's stop budget", () => {
  it("is what deadtime leaves after warntime and a keepalive of report slack: 50 ms with `fast`, 13 s with `classic`", () => {
    expect(leaseStopBudgetMs(TIMING_PROFILES.fast)).toBe(50);
    expect(leaseStopBudgetMs(TIMING_PROFILES.classic)).toBe(13_000);
  });
});

// The fence window of invariant 1, as the design bounds it (docs/architecture.md, "The fence window").

describe("fenceWindowMs", () => {
  it("is the lifetime plus the kernel's rounding, less the earliest takeover (deadtime − keepalive)", () => {
    // The chaos suite's timing: lifetime 1 s, takeover no sooner than 400 ms.
    expect(fenceWindowMs({ keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 500 })).toBe(850);
    // The failover lab's: lifetime 1 s, takeover no sooner than 250 ms.
    expect(fenceWindowMs({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 })).toBe(1_000);
  });
  it("shrinks to about a keepalive once deadtime reaches whole seconds", () => {
    expect(fenceWindowMs({ keepaliveMs: 1_000, warntimeMs: 5_000, deadtimeMs: 10_000 })).toBe(1_250);
    expect(fenceWindowMs({ keepaliveMs: 200, warntimeMs: 1_000, deadtimeMs: 2_000 })).toBe(450);
  });
});
