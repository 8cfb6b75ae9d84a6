import { describe, expect, it } from "vitest";
import type { LinkStats } from "../heartbeat/worker-protocol.js";
import { REPEAT_MS, stepLinkQuality, type LinkNotice, type LinkQualityState } from "./link-quality.js";

const link = (expected: number, received: number, inPercent: number, outPercent: number, generation = 1): LinkStats => ({ generation, expected, received, inPercent, outPercent });

/** Feeds readings of n1's link (one every 5 s) and returns the notices, each with its time. */
function run(readings: LinkStats[]): Array<LinkNotice & { at: number }> {
  let s: LinkQualityState = {};
  const out: Array<LinkNotice & { at: number }> = [];
  readings.forEach((l, i) => {
    const r = stepLinkQuality(s, { n1: l }, 3, i * 5_000);
    s = r.state;
    for (const n of r.notices) out.push({ ...n, at: i * 5_000 });
  });
  return out;
}

describe("link quality warnings", () => {
  it("a clean link says nothing", () => {
    expect(run([link(50, 50, 0, 0), link(100, 100, 0, 0), link(150, 150, 0, 0)])).toEqual([]);
  });

  it("a lossy link is reported with its loss both ways, then at most every REPEAT_MS while it lasts, and its recovery once", () => {
    const readings: LinkStats[] = [link(50, 50, 0, 0)];
    // 20% lost each way, 50 packets a reading, for a minute and a half.
    for (let i = 1; i <= 18; i++) readings.push(link(50 + 50 * i, 50 + 40 * i, 19, 21));
    readings.push(link(1000, 820, 0, 0), link(1050, 870, 0, 0));
    const n = run(readings);
    const lossy = n.filter((x) => x.type === "LinkLossy");
    expect(lossy[0]).toMatchObject({ at: 5_000, body: { peer: "n1", inPercent: 20, outPercent: 21, copies: 3 } });
    expect(lossy.length).toBe(Math.floor((18 * 5_000 - 5_000) / REPEAT_MS) + 1);
    for (let i = 1; i < lossy.length; i++) expect(lossy[i]!.at - lossy[i - 1]!.at).toBeGreaterThanOrEqual(REPEAT_MS);
    expect(n.filter((x) => x.type === "LinkRecovered").map((x) => x.at)).toEqual([19 * 5_000]);
    expect(lossy[0]!.cause).toMatch(/20% of n1's here, 21% of ours there; sending 3 per keepalive/);
  });

  it("a link hovering at the threshold does not warn at every reading (hysteresis)", () => {
    const pcts = [6, 4, 3, 6, 4, 3];
    const n = run([link(10, 10, 0, 0), ...pcts.map((p) => link(10, 10, p, 0))]);
    expect(n.map((x) => x.type)).toEqual(["LinkLossy"]);
  });

  it("the loss of our packets, as the peer reports it, counts alone; a restarted peer's counters start afresh", () => {
    expect(run([link(10, 10, 0, 0), link(60, 60, 0, 30)]).map((x) => x.type)).toEqual(["LinkLossy"]);
    // After a restart the counters are lower: the worker's window is used, not a negative period.
    const n = run([link(500, 400, 20, 0), link(30, 30, 0, 0, 2)]);
    expect(n.map((x) => x.type)).toEqual(["LinkLossy", "LinkRecovered"]);
  });
});
