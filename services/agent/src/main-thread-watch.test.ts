import { describe, expect, it } from "vitest";
import { lateBy, watchMainThread } from "./main-thread-watch.js";

describe("the main thread's watch", () => {
  it("a timer on time, or late within the bound, is no gap", () => {
    expect(lateBy(1_000, 1_000, 500)).toBeNull();
    expect(lateBy(1_000, 1_500, 500)).toBeNull();
    expect(lateBy(1_000, 1_501.4, 500)).toBe(501);
  });

  it("reports a main thread that was blocked, once, with how long", async () => {
    const seen: number[] = [];
    const w = watchMainThread({ everyMs: 20, reportOverMs: 300, onStall: (ms) => seen.push(ms) });
    try {
      await new Promise((r) => setTimeout(r, 60));
      const before = seen.length;
      const until = performance.now() + 700;
      while (performance.now() < until); // the agent's thread does nothing else for 700 ms
      const deadline = Date.now() + 5_000;
      while (seen.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(Math.max(...seen.slice(before))).toBeGreaterThan(500);
      expect(w.stalls).toBe(seen.length);
    } finally {
      w.stop();
    }
  });
});
