import { describe, expect, it } from "vitest";
import { checkReplay, REPLAY_WINDOW, type ReplayWindows } from "./replay-window.js";

/** Feeds (generation, seq) pairs from one peer and returns each verdict. */
function feed(packets: Array<[number, number]>, start: ReplayWindows = {}) {
  let w = start;
  return packets.map(([g, s]) => {
    const r = checkReplay(w, "n2", g, s);
    w = r.windows;
    return r.result;
  });
}

describe("replay window", () => {
  it("accepts the first packet from a peer and increasing sequence numbers", () => {
    const v = feed([[5, 1], [5, 2], [5, 10]]);
    expect(v.map((r) => r.verdict)).toEqual(["accept", "accept", "accept"]);
    expect(v[0]).toMatchObject({ first: true });
  });

  it("drops a sequence number already seen as a duplicate replay", () => {
    const v = feed([[5, 1], [5, 2], [5, 2], [5, 1]]);
    expect(v.slice(2)).toEqual([
      { verdict: "replay", duplicate: true },
      { verdict: "replay", duplicate: true },
    ]);
  });

  it("accepts a reordered packet inside the window exactly once", () => {
    const v = feed([[5, 10], [5, 7], [5, 7]]);
    expect(v.map((r) => r.verdict)).toEqual(["accept", "accept", "replay"]);
  });

  it("drops a packet older than the window even if never seen", () => {
    const high = 1000;
    const v = feed([[5, high], [5, high - REPLAY_WINDOW + 1], [5, high - REPLAY_WINDOW]]);
    expect(v[1]!.verdict).toBe("accept");
    expect(v[2]).toEqual({ verdict: "replay", duplicate: false });
  });

  it("forgets old bits after a jump larger than the window", () => {
    const v = feed([[5, 1], [5, 1 + REPLAY_WINDOW * 3], [5, REPLAY_WINDOW * 3]]);
    expect(v.map((r) => r.verdict)).toEqual(["accept", "accept", "accept"]);
  });

  it("drops a lower generation as stale, naming the current one", () => {
    const v = feed([[7, 100], [6, 500]]);
    expect(v[1]).toEqual({ verdict: "stale", currentGeneration: 7 });
  });

  it("resets the window on a higher generation and reports the restart", () => {
    const v = feed([[7, 100], [8, 1], [8, 2], [7, 101]]);
    expect(v[1]).toEqual({ verdict: "accept", first: false, restarted: { previousGeneration: 7 } });
    expect(v[2]!.verdict).toBe("accept");
    expect(v[3]!.verdict).toBe("stale");
  });

  it("keeps peers apart", () => {
    let w: ReplayWindows = {};
    w = checkReplay(w, "n2", 1, 5).windows;
    expect(checkReplay(w, "n3", 1, 5).result.verdict).toBe("accept");
    expect(checkReplay(w, "n2", 1, 5).result.verdict).toBe("replay");
  });

  it("does not change the windows when it drops a packet", () => {
    const first = checkReplay({}, "n2", 1, 5).windows;
    const r = checkReplay(first, "n2", 1, 5);
    expect(r.windows).toBe(first);
  });
});
