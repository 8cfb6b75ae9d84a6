import { describe, expect, it } from "vitest";
import { copiesHoldMs, heartbeatCopies, initialCopies, LOSS_WINDOW, lossOf, MAX_COPIES, nextCopies, noteHeard, sendIntervalMs, type LossWindows } from "./loss-meter.js";

/** Feeds one peer's (generation, seq) pairs and returns its window. */
function feed(packets: Array<[number, number]>, start: LossWindows = {}) {
  let w = start;
  for (const [g, s] of packets) w = noteHeard(w, "n2", g, s);
  return w["n2"];
}

const seqs = (from: number, to: number, skip: (s: number) => boolean = () => false): Array<[number, number]> =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)
    .filter((s) => !skip(s))
    .map((s) => [7, s]);

describe("loss meter", () => {
  it("a peer heard without a gap loses nothing; one heard once has no history to lose", () => {
    expect(lossOf(feed(seqs(1, 100)))).toBe(0);
    expect(lossOf(feed([[7, 42]]))).toBe(0);
    expect(lossOf(undefined)).toBe(0);
  });

  it("counts the sequence numbers missing within the last window", () => {
    // Every fifth packet lost: 20%, over the window alone (the early history is forgotten).
    const w = feed(seqs(1, 200, (s) => s % 5 === 0 && s < 199));
    expect(lossOf(w)).toBeCloseTo(Math.floor(LOSS_WINDOW / 5) / LOSS_WINDOW, 5);
    expect(w).toMatchObject({ expected: 200, received: 200 - 39 });
    // Clean again for a whole window: no loss left.
    expect(lossOf(feed(seqs(201, 201 + LOSS_WINDOW), { n2: w! }))).toBe(0);
  });

  it("a packet that arrives late (reordered) was not lost", () => {
    expect(lossOf(feed([[7, 1], [7, 2], [7, 4], [7, 5]]))).toBeCloseTo(1 / 5);
    expect(lossOf(feed([[7, 1], [7, 2], [7, 4], [7, 5], [7, 3]]))).toBe(0);
  });

  it("a gap as long as the window is an outage, not loss; a restart starts afresh", () => {
    expect(lossOf(feed([[7, 1], [7, 2], [7, 2 + LOSS_WINDOW]]))).toBe(0);
    const restarted = feed([...seqs(1, 10, (s) => s === 5), [8, 1], [8, 2]]);
    expect(restarted).toMatchObject({ generation: 8, expected: 2, received: 2 });
    expect(lossOf(restarted)).toBe(0);
    // A packet of the older generation changes nothing.
    expect(feed([[8, 1], [7, 99]])).toMatchObject({ generation: 8, highest: 1 });
  });

  it("one heartbeat per keepalive on a clean link, more as the loss grows, never more than the cap", () => {
    expect(heartbeatCopies(0)).toBe(1);
    expect(heartbeatCopies(NaN)).toBe(1);
    expect(heartbeatCopies(1 / 32)).toBe(2);
    expect(heartbeatCopies(0.2)).toBe(3);
    expect(heartbeatCopies(0.25)).toBe(4);
    expect(heartbeatCopies(1)).toBe(MAX_COPIES);
    expect(sendIntervalMs(100, 1)).toBe(100);
    expect(sendIntervalMs(100, 4)).toBe(25);
    expect(sendIntervalMs(0, 1)).toBe(1);
  });
});

describe("copies in force", () => {
  it("rise at once with the loss, are kept through the hold though the loss looks lower, then fall", () => {
    const hold = 5_000;
    let s = initialCopies();
    s = nextCopies(s, 0.2, 0, hold);
    expect(s.copies).toBe(3);
    s = nextCopies(s, 0, 4_999, hold); // a window that happened to lose nothing
    expect(s.copies).toBe(3);
    s = nextCopies(s, 0.05, 5_000, hold);
    expect(s).toEqual({ copies: 2, heldUntil: 10_000 });
    s = nextCopies(s, 0.05, 6_000, hold); // the same loss again renews the hold
    expect(s).toEqual({ copies: 2, heldUntil: 11_000 });
    s = nextCopies(s, 0, 11_000, hold);
    expect(s).toEqual(initialCopies());
    expect(copiesHoldMs(100)).toBe(5_000);
    expect(copiesHoldMs(2_000)).toBe(40_000);
  });
});
