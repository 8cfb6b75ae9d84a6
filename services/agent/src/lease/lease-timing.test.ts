import { describe, expect, it } from "vitest";
import { leaseTiming } from "@vigil/shared/config/derived-timing";
import { stalledPastLease } from "./lease-timing.js";

describe("the address lease's stall rule", () => {
  it("calls a gap past the tick and the stall limit a lapse, and one within it none", () => {
    for (const t of [
      { keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 },
      { keepaliveMs: 100, warntimeMs: 900, deadtimeMs: 950 },
      { keepaliveMs: 1_000, warntimeMs: 5_000, deadtimeMs: 10_000 },
    ]) {
      const l = leaseTiming(t);
      expect(stalledPastLease(l.tickMs + l.stallLimitMs, l)).toBe(false);
      expect(stalledPastLease(l.tickMs + l.stallLimitMs + 1, l)).toBe(true);
    }
  });
});
