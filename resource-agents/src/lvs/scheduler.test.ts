import { describe, expect, it } from "vitest";
import { bucketsFor, MAX_BUCKETS, reducedWeights, wrrSequence } from "./scheduler.js";

const w = (...weights: number[]) => weights.map((weight) => ({ weight }));
const counts = (seq: number[]) => seq.reduce<Record<number, number>>((acc, i) => ({ ...acc, [i]: (acc[i] ?? 0) + 1 }), {});

describe("nftables scheduler model", () => {
  it("rr gives each server one bucket on the connection counter", () => {
    expect(bucketsFor("rr", w(5, 1, 1))).toEqual({ selector: "numgen", buckets: [0, 1, 2] });
  });

  it("wrr interleaves servers by weight the way IPVS does", () => {
    expect(wrrSequence([3, 1])).toEqual([0, 0, 0, 1]);
    expect(wrrSequence([2, 2, 1])).toEqual([0, 1, 0, 1, 2]);
    expect(wrrSequence([4, 3, 2])).toEqual([0, 0, 1, 0, 1, 2, 0, 1, 2]);
    expect(bucketsFor("wrr", w(6, 2))).toEqual({ selector: "numgen", buckets: [0, 0, 0, 1] });
  });

  it("wrr buckets hold each server exactly as often as its reduced weight", () => {
    const seq = wrrSequence([5, 3, 7]);
    expect(seq).toHaveLength(15);
    expect(counts(seq)).toEqual({ 0: 5, 1: 3, 2: 7 });
  });

  it("scales large weights down to at most MAX_BUCKETS, keeping every server", () => {
    const r = reducedWeights([1000, 999, 1]);
    expect(r.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(r.every((x) => x >= 1)).toBe(true);
    expect(wrrSequence([1000, 999, 1])).toHaveLength(r.reduce((a, b) => a + b, 0));
  });

  it("sh hashes the client address over weighted buckets; dh hashes the destination", () => {
    expect(bucketsFor("sh", w(2, 1))).toEqual({ selector: "jhash-saddr", buckets: [0, 0, 1] });
    expect(bucketsFor("dh", w(2, 1))).toEqual({ selector: "jhash-daddr", buckets: [0, 1] });
  });

  it("lc falls back to rr and wlc to wrr on nftables", () => {
    expect(bucketsFor("lc", w(3, 1))).toEqual(bucketsFor("rr", w(3, 1)));
    expect(bucketsFor("wlc", w(3, 1))).toEqual(bucketsFor("wrr", w(3, 1)));
  });

  it("no servers means no buckets", () => {
    expect(bucketsFor("wrr", [])).toEqual({ selector: "numgen", buckets: [] });
  });
});
