import { describe, expect, it } from "vitest";
import { checkTiming } from "./hacf-timing.js";
import { defaultInitdeadMs, defaultWarntimeMs, TIMING_PROFILES } from "./timing-profiles.js";

describe("timing profiles", () => {
  it.each(Object.entries(TIMING_PROFILES))("profile %s obeys heartbeat's timing rules", (_name, p) => {
    const given = {
      keepalive: { ms: p.keepaliveMs, line: 1 },
      warntime: { ms: p.warntimeMs, line: 2 },
      deadtime: { ms: p.deadtimeMs, line: 3 },
      initdead: { ms: p.initdeadMs, line: 4 },
    };
    expect(checkTiming(given).errors).toEqual([]);
  });

  it("classic is what heartbeat fills in when ha.cf gives no timing at all", () => {
    expect(checkTiming({}).values).toEqual(TIMING_PROFILES.classic);
  });

  it("fast declares a silent node dead within 250 ms", () => {
    expect(TIMING_PROFILES.fast.deadtimeMs).toBeLessThan(250);
  });

  it("derives warntime and initdead from deadtime as heartbeat does", () => {
    expect(defaultWarntimeMs(10_000)).toBe(5000);
    expect(defaultInitdeadMs(30_000)).toBe(30_000);
    expect(defaultInitdeadMs(8000)).toBe(16_000);
    expect(defaultInitdeadMs(1000)).toBe(12_000);
  });
});
