import { describe, expect, it } from "vitest";
import { FENCE_MAX_ATTEMPTS, mayFence, retryDelayMs } from "./fence-retries.js";

describe("failed fence retries", () => {
  it("back off from 2 s to at most 30 s, and stop after FENCE_MAX_ATTEMPTS", () => {
    const delays = Array.from({ length: FENCE_MAX_ATTEMPTS }, (_, i) => retryDelayMs(i + 1));
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, null]);
  });

  it("a fence may run at first, then only once its delay has passed, never after giving up", () => {
    expect(mayFence(undefined, 0)).toBe(true);
    expect(mayFence({ attempts: 2, lastAt: 1_000 }, 4_999)).toBe(false);
    expect(mayFence({ attempts: 2, lastAt: 1_000 }, 5_000)).toBe(true);
    expect(mayFence({ attempts: FENCE_MAX_ATTEMPTS, lastAt: 0 }, 1e9)).toBe(false);
  });
});
