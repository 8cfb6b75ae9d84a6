// The fence window of invariant 1, as the design bounds it (docs/architecture.md, "The fence window").
import { describe, expect, it } from "vitest";
import { fenceWindowMs } from "./lease-timing.js";

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
