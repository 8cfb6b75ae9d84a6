// The two-node tie-breaker (`tiebreaker nats`), pure: time is an input. While a node does not hear its
// peer, its witness is "it holds the cluster's lease" (a KV entry on the arbiter's NATS servers) instead
// of "NATS is reachable": both halves of a split reach NATS, only one holds the lease. The KV I/O is the
// agent's (services/agent/src/cluster/tiebreak-lease.ts); what to do when, and what counts, is here.
// docs/architecture.md, "Two-node tie-breaker", says why each number is what it is.
import { leaseStopBudgetMs } from "../config/derived-timing.js";

export interface TiebreakTiming {
  /** The bucket's max_age: the server drops an entry not renewed for this long. */
  ttlMs: number;
  /** The holder renews this often while its peer is unheard. */
  renewEveryMs: number;
  /** The holder counts its lease this much shorter than the server keeps it. */
  marginMs: number;
  /** The node that does not win a clean split by preference waits this long before its create:
   *  longer than the two nodes' loss moments can differ (a keepalive: the report's slack). */
  yieldDelayMs: number;
  /** How long a node that yields keeps its groups while it waits and asks (the rest of the budget is its stop's). */
  pendingMs: number;
  /** A create or renew not answered within this counts as failed (the loser's stop must still fit). */
  requestTimeoutMs: number;
  /** A node that lost (or could not ask) tries again this often while its peer is unheard. */
  retryEveryMs: number;
}

/**
 * From the heartbeat timing. A node keeps its groups only while its first question is pending, and
 * must then stop within the lease rule's budget B = deadtime − warntime − keepalive: the question gets
 * 3B/5 (a replicated KV write on a loaded arbiter took more than 80 ms of the lab's B = 200 ms), the
 * stop keeps 2B/5. The yielding node asks only after keepalive + 3B/5 — after the preferred node's
 * question has landed or timed out, however far apart the two lost each other (one keepalive of the
 * report's slack) — so it stops what it holds before it asks, and gets it back only if it wins.
 * The TTL bounds how long a takeover waits when the holder dies during a split; 2 × deadtime (≥ 1 s)
 * lets a renewal every TTL/3 miss twice before the lease runs out.
 */
export function tiebreakTiming(h: { keepaliveMs: number; warntimeMs: number; deadtimeMs: number }): TiebreakTiming {
  const budget = Math.max(5, leaseStopBudgetMs(h));
  const ttlMs = Math.max(1_000, 2 * h.deadtimeMs);
  const pendingMs = Math.max(2, Math.floor((3 * budget) / 5));
  return {
    ttlMs,
    renewEveryMs: Math.floor(ttlMs / 3),
    marginMs: Math.max(h.keepaliveMs, Math.floor(ttlMs / 10)),
    yieldDelayMs: h.keepaliveMs + pendingMs,
    pendingMs,
    requestTimeoutMs: pendingMs,
    retryEveryMs: Math.max(h.keepaliveMs, Math.floor(ttlMs / 6)),
  };
}

/** What the lease's shell knows, as of `now`. */
export interface TiebreakState {
  /** When the peer stopped counting as up for quorum (null: it is up). */
  peerLostAt: number | null;
  /** This node's lease: its token (the acquisition revision), the revision to renew from, and the end
   *  of its validity on this node's monotonic clock (send time of the last success + TTL − margin). */
  held: { token: number; revision: number; validUntil: number } | null;
  /** Since the peer was lost, an attempt came back: refused (another holds it), or failed (no answer). */
  answered: "refused" | "failed" | null;
  /** The holder the last refusal named (its value), for the reason. */
  otherHolder: string | null;
  /** This node held groups when it lost the peer: only then does the pending attempt count (it may
   *  keep what it has while it asks, never take anything on the strength of a question). */
  keeping: boolean;
  /** This node lets the peer ask first (yieldsTo, fixed at the loss). */
  yields: boolean;
}

export const noLease = (): TiebreakState => ({ peerLostAt: null, held: null, answered: null, otherHolder: null, keeping: false, yields: false });

export const leaseValid = (s: TiebreakState, now: number) => s.held !== null && now < s.held.validUntil;

/**
 * The two-node witness under `tiebreaker nats`: the lease held and valid; or, for the first attempt
 * after the peer was lost (yield delay + one request at most), still pending, for a node that holds
 * groups: it keeps them meanwhile, as it would with the old reachability witness, and its stop budget
 * pays for it. A node holding nothing has nothing to keep: pending is no quorum for it (at start-up,
 * both nodes would otherwise start groups on the strength of a question).
 */
export function tiebreakWitness(s: TiebreakState, now: number, t: TiebreakTiming): { has: boolean; reason: string } {
  if (leaseValid(s, now)) return { has: true, reason: `holds the tie-breaker lease (token ${s.held!.token})` };
  if (s.peerLostAt === null) return { has: false, reason: "peer up: the tie-breaker is not asked" };
  if (s.answered === null && now < pendingEnd(s, t))
    return s.keeping ? { has: true, reason: "asking for the tie-breaker lease, keeping what this node holds meanwhile" } : { has: false, reason: "asking for the tie-breaker lease" };
  if (s.answered === "refused") return { has: false, reason: `the tie-breaker lease is held by ${s.otherHolder ?? "the peer"}` };
  return { has: false, reason: "could not get the tie-breaker lease (the arbiter did not answer)" };
}

/** When the first question's pending ends (a yielding node's may end before it has asked). */
export function pendingEnd(s: TiebreakState, t: TiebreakTiming): number {
  return (s.peerLostAt ?? -Infinity) + (s.yields ? Math.min(t.yieldDelayMs + t.requestTimeoutMs, t.pendingMs) : t.requestTimeoutMs);
}

/** Whether this node lets its peer go first in a clean split: the peer holds more groups, or as many
 *  and comes first in ha.cf order. (A node that already holds the lease renews it at once instead.) */
export function yieldsTo(self: string, peer: string, nodes: readonly string[], ownGroups: number, peerGroups: number): boolean {
  if (ownGroups !== peerGroups) return peerGroups > ownGroups;
  return nodes.indexOf(peer) < nodes.indexOf(self);
}

export type LeaseStep = { kind: "wait"; at: number } | { kind: "create" } | { kind: "renew"; revision: number } | { kind: "idle" };

/**
 * What the shell does next (one request at a time). While the peer is up: nothing (the lease is left
 * to expire, never released: a release would hand a flapping link's next split to a race). While the
 * peer is unheard: a holder whose lease is still valid renews it at once, then every renewEveryMs
 * (a failed renewal again after retryEveryMs / 2, never later than the schedule); the others create,
 * after the yield delay if they yield, and again every retryEveryMs after a refusal or a failure.
 * (The shell's create renews instead when the live entry turns out to be this node's own.)
 * `lastAttemptAt`/`lastSuccessAt`: send times of the last request and of the last one that succeeded.
 */
export function nextLeaseStep(
  s: TiebreakState,
  now: number,
  t: TiebreakTiming,
  o: { lastAttemptAt: number | null; lastSuccessAt: number | null },
): LeaseStep {
  if (s.peerLostAt === null) return { kind: "idle" };
  const triedSinceLoss = o.lastAttemptAt !== null && o.lastAttemptAt >= s.peerLostAt;
  if (s.held !== null && leaseValid(s, now)) {
    const lastOk = o.lastSuccessAt !== null && o.lastSuccessAt === o.lastAttemptAt;
    const at = !triedSinceLoss
      ? now
      : lastOk
        ? o.lastSuccessAt! + t.renewEveryMs
        : Math.min(o.lastAttemptAt! + t.retryEveryMs / 2, (o.lastSuccessAt ?? o.lastAttemptAt!) + t.renewEveryMs);
    return now >= at ? { kind: "renew", revision: s.held.revision } : { kind: "wait", at };
  }
  const first = s.peerLostAt + (s.yields ? t.yieldDelayMs : 0);
  const at = triedSinceLoss ? Math.max(first, o.lastAttemptAt! + t.retryEveryMs) : first;
  return now >= at ? { kind: "create" } : { kind: "wait", at };
}

/** The fencing token rule: a GroupStarting by another node with a token newer than the one this node
 *  started the group with means the other won a later lease: this node must stop the group. */
export function supersededBy(ownToken: number | null, seen: number | undefined): boolean {
  return seen !== undefined && seen > (ownToken ?? 0);
}
