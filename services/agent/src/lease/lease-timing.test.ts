import { describe, expect, it } from "vitest";
import { leaseTiming, RENEW_SAFETY_MS, stalledPastLease } from "./lease-timing.js";

describe("the address lease's timing", () => {
  it("gives a lifetime of deadtime in whole seconds, at least 1 s, renewed four times per lifetime", () => {
    expect(leaseTiming({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 })).toMatchObject({ lifetimeS: 1, renewEveryMs: 250, tickMs: 50 });
    expect(leaseTiming({ keepaliveMs: 2_000, warntimeMs: 15_000, deadtimeMs: 30_000 })).toMatchObject({ lifetimeS: 30, renewEveryMs: 7_500, tickMs: 200 });
    expect(leaseTiming({ keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 2_500 }).lifetimeS).toBe(2);
  });

  it("calls a stall past warntime a lapse, and never lets a renewal after a shorter stall land past the lifetime", () => {
    for (const t of [
      { keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 },
      { keepaliveMs: 100, warntimeMs: 900, deadtimeMs: 950 },
      { keepaliveMs: 1_000, warntimeMs: 5_000, deadtimeMs: 10_000 },
    ]) {
      const l = leaseTiming(t);
      expect(l.stallLimitMs).toBeLessThanOrEqual(t.warntimeMs);
      // Every stall after which a peer may have called this node dead is caught.
      expect(l.tickMs + l.stallLimitMs).toBeLessThanOrEqual(t.deadtimeMs - t.keepaliveMs);
      // The worst renewal: one renewal period, then the longest gap that is not a lapse.
      expect(l.renewEveryMs + l.tickMs + l.stallLimitMs + RENEW_SAFETY_MS).toBeLessThanOrEqual(l.lifetimeS * 1000);
      expect(stalledPastLease(l.tickMs + l.stallLimitMs, l)).toBe(false);
      expect(stalledPastLease(l.tickMs + l.stallLimitMs + 1, l)).toBe(true);
    }
  });
});
