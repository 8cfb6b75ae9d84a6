import { describe, expect, it } from "vitest";
import { leaseStopBudgetMs } from "../config/derived-timing.js";
import { leaseValid, nextLeaseStep, noLease, supersededBy, tiebreakTiming, tiebreakWitness, yieldsTo } from "./tiebreak.js";

const lab = { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600 };
const t = tiebreakTiming(lab);

describe("tiebreakTiming", () => {
  it("the pending (preferred: one request; yielding: at most 3/5) fits the lease rule's stop budget, leaving the stop two fifths", () => {
    const budget = leaseStopBudgetMs(lab);
    expect(t.requestTimeoutMs).toBeLessThanOrEqual((3 * budget) / 5);
    expect(t.pendingMs).toBeLessThanOrEqual((3 * budget) / 5);
    // Longer than the two nodes' loss moments can differ (one keepalive of report slack).
    expect(t.yieldDelayMs).toBeGreaterThan(lab.keepaliveMs);
    // The yielding node asks after the preferred one's question has landed or timed out.
    expect(t.yieldDelayMs).toBeGreaterThanOrEqual(lab.keepaliveMs + t.requestTimeoutMs);
    // And still before deadtime: a yielding node whose peer is really gone takes over without delay.
    expect(lab.warntimeMs + t.yieldDelayMs).toBeLessThan(lab.deadtimeMs);
    // The holder renews three times a TTL and counts its lease shorter than the server keeps it.
    expect(t.renewEveryMs * 3).toBeLessThanOrEqual(t.ttlMs);
    expect(t.marginMs).toBeGreaterThanOrEqual(lab.keepaliveMs);
    expect(t.ttlMs).toBeGreaterThanOrEqual(1_000);
  });
});

describe("tiebreakWitness", () => {
  it("a valid lease is a witness; past its validity on this node's clock it is not", () => {
    const s = { ...noLease(), peerLostAt: 0, held: { token: 7, revision: 9, validUntil: 1_000 }, answered: null };
    expect(tiebreakWitness(s, 999, t)).toEqual({ has: true, reason: "holds the tie-breaker lease (token 7)" });
    expect(leaseValid(s, 1_000)).toBe(false);
    expect(tiebreakWitness({ ...s, answered: "failed" }, 1_000, t).has).toBe(false);
  });

  it("the first attempt after losing the peer is pending for one request (preferred) or 3/5 of the budget (yielding), no longer", () => {
    const s = { ...noLease(), peerLostAt: 5_000, keeping: true };
    expect(tiebreakWitness(s, 5_000, t).has).toBe(true);
    expect(tiebreakWitness(s, 5_000 + t.requestTimeoutMs - 1, t).has).toBe(true);
    expect(tiebreakWitness(s, 5_000 + t.requestTimeoutMs, t)).toEqual({ has: false, reason: "could not get the tie-breaker lease (the arbiter did not answer)" });
    const y = { ...s, yields: true };
    expect(tiebreakWitness(y, 5_000 + t.pendingMs - 1, t).has).toBe(true);
    expect(tiebreakWitness(y, 5_000 + t.pendingMs, t).has).toBe(false);
    // The yield delay outlasts the pending: a yielding node stops first and asks after.
    expect(t.yieldDelayMs).toBeGreaterThan(t.pendingMs);
  });

  it("a node that held nothing when it lost the peer gets no quorum from a pending question", () => {
    expect(tiebreakWitness({ ...noLease(), peerLostAt: 5_000 }, 5_001, t)).toEqual({ has: false, reason: "asking for the tie-breaker lease" });
  });

  it("a refusal ends the pending at once and names the holder", () => {
    const s = { ...noLease(), peerLostAt: 5_000, answered: "refused" as const, otherHolder: "n1" };
    expect(tiebreakWitness(s, 5_001, t)).toEqual({ has: false, reason: "the tie-breaker lease is held by n1" });
  });

  it("with the peer up the lease is no witness (quorum is two of two anyway)", () => {
    expect(tiebreakWitness(noLease(), 0, t).has).toBe(false);
  });
});

describe("yieldsTo: who goes first in a clean split", () => {
  it("the holder of more groups goes first; on a tie, the first in ha.cf order", () => {
    expect(yieldsTo("n1", "n2", ["n1", "n2"], 0, 1)).toBe(true);
    expect(yieldsTo("n2", "n1", ["n1", "n2"], 1, 0)).toBe(false);
    expect(yieldsTo("n1", "n2", ["n1", "n2"], 1, 1)).toBe(false);
    expect(yieldsTo("n2", "n1", ["n1", "n2"], 1, 1)).toBe(true);
  });
});

describe("nextLeaseStep", () => {
  const none = { lastAttemptAt: null, lastSuccessAt: null };
  it("does nothing while the peer is up, even for a holder", () => {
    expect(nextLeaseStep({ ...noLease(), held: { token: 1, revision: 1, validUntil: 1e9 } }, 10, t, none)).toEqual({ kind: "idle" });
  });

  it("the preferred node creates at once; the one that yields after the yield delay", () => {
    const s = { ...noLease(), peerLostAt: 1_000 };
    const y = { ...s, yields: true };
    expect(nextLeaseStep(s, 1_000, t, none)).toEqual({ kind: "create" });
    expect(nextLeaseStep(y, 1_000, t, none)).toEqual({ kind: "wait", at: 1_000 + t.yieldDelayMs });
    expect(nextLeaseStep(y, 1_000 + t.yieldDelayMs, t, none)).toEqual({ kind: "create" });
  });

  it("after a refusal, tries again every retryEveryMs while the peer stays unheard", () => {
    const s = { ...noLease(), peerLostAt: 1_000, answered: "refused" as const, yields: true };
    const o = { lastAttemptAt: 1_000 + t.yieldDelayMs, lastSuccessAt: null };
    expect(nextLeaseStep(s, 1_100, t, o)).toEqual({ kind: "wait", at: o.lastAttemptAt + t.retryEveryMs });
  });

  it("a valid holder renews at once after the loss (without waiting), then every renewEveryMs", () => {
    const held = { token: 3, revision: 8, validUntil: 10_000 };
    const s = { ...noLease(), peerLostAt: 2_000, held, yields: true };
    expect(nextLeaseStep(s, 2_000, t, { lastAttemptAt: 500, lastSuccessAt: 500 })).toEqual({ kind: "renew", revision: 8 });
    expect(nextLeaseStep(s, 2_010, t, { lastAttemptAt: 2_000, lastSuccessAt: 2_000 })).toEqual({ kind: "wait", at: 2_000 + t.renewEveryMs });
    // A failed renewal is retried sooner, never after the next scheduled one.
    expect(nextLeaseStep(s, 2_010, t, { lastAttemptAt: 2_005, lastSuccessAt: 2_000 })).toEqual({ kind: "wait", at: Math.min(2_005 + t.retryEveryMs / 2, 2_000 + t.renewEveryMs) });
  });

  it("a holder whose lease ran out on its own clock creates again (its create renews an entry still its own)", () => {
    const s = { ...noLease(), peerLostAt: 20_000, held: { token: 3, revision: 8, validUntil: 10_000 }, yields: true };
    expect(nextLeaseStep(s, 20_000, t, { lastAttemptAt: 500, lastSuccessAt: 500 })).toEqual({ kind: "wait", at: 20_000 + t.yieldDelayMs });
  });
});

describe("supersededBy (the fencing token)", () => {
  it("only a newer token than this node's own supersedes it", () => {
    expect(supersededBy(5, 9)).toBe(true);
    expect(supersededBy(9, 5)).toBe(false);
    expect(supersededBy(9, 9)).toBe(false);
    expect(supersededBy(null, 1)).toBe(true);
    expect(supersededBy(5, undefined)).toBe(false);
  });
});
