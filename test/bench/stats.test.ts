import { describe, expect, it } from "vitest";
import { formatTable, percentile, summarize } from "./stats.js";

describe("bench statistics", () => {
  it("the median and p95 are nearest-rank values that were measured", () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toEqual({ n: 5, median: 3, p95: 5, max: 5, min: 1 });
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    expect(percentile(twenty, 95)).toBe(190);
    expect(percentile(twenty, 50)).toBe(100);
  });

  it("an empty sample set summarizes to NaN rather than a made-up number", () => {
    expect(Number.isNaN(summarize([]).median)).toBe(true);
  });

  it("a table aligns its columns", () => {
    const t = formatTable(["what", "ms"], [["link loss", "312"], ["standby", "9"]]).split("\n");
    expect(t[0]).toBe("what        ms");
    expect(t[2]).toBe("link loss  312");
    expect(t[3]).toBe("standby      9");
  });
});
