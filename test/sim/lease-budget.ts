// How long an isolated node's stop may take before a peer may start the same group (no fencing), as
// the shipped timing behaves (heartbeat-worker.ts: a deadline timer at nextDeadline + 1 ms, so each
// detector sees a threshold within a millisecond).
//
// Quorum from peers (failure-detector.ts leaseEnd): a peer counts only until warntime after this node
// last heard it, or warntime + one keepalive of slack after vouchedAt (= arrival − the peer's
// heard-ago report = when the peer last read this node's packet, plus the report's own transit),
// whichever comes first. The slack is there because the report is refreshed once a keepalive: without
// it peers flapped late in a fault-free cluster. The peer calls this node dead deadtime after that
// read, so deadtime − warntime − keepalive − largest delay − 1 ms are left for the stop (44 ms with
// `fast` and 0.1–5 ms delays).
//
// Quorum from a witness (two nodes): the witness's lease runs from its last answer, which says
// nothing of when the peer last heard this node; the peer may have heard it last up to one keepalive
// (plus the delay spread) before the link went down. Hence the old bound there: deadtime − warntime −
// keepalive − delay spread − 1 ms (44.1 ms with `fast`). The ping witness reports its lease's end on
// time (ping-witness.ts armLeaseEnd: lastAnswer + warntime + 1 ms).
//
// Both budgets are for what a node still does once its lease has ended: a start already in progress
// runs to its end before the stop begins (an OCF start cannot be interrupted), so it counts too.
import type { TimingProfile } from "@vigil/shared/config/timing-profiles";

/** Quorum from peers' heartbeats, counted from the older direction (the heard-ago report). */
export function peerLeaseStopBudgetMs(t: TimingProfile, maxDelayMs: number): number {
  return t.deadtimeMs - t.warntimeMs - t.keepaliveMs - maxDelayMs - 1;
}

/** Quorum from a witness: its answers do not say when the peer last heard this node. */
export function witnessLeaseStopBudgetMs(t: TimingProfile, delaySpreadMs: number): number {
  return t.deadtimeMs - t.warntimeMs - t.keepaliveMs - delaySpreadMs - 1;
}
