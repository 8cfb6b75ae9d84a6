// How long an isolated node's stop may take before a peer may start the same group (no fencing), as
// the shipped timing behaves (heartbeat-worker.ts: a deadline timer at nextDeadline + 1 ms, so each
// detector sees a threshold within a millisecond).
//
// The isolated node loses quorum at most warntime (+1 ms) after the last heartbeat it heard; its peer
// calls it dead deadtime after the last heartbeat *it* heard. The two streams are independent: the
// peer may have heard the isolated node last up to one keepalive earlier, plus the spread of the
// network delay (the last packet that got through was one of the slow ones, a later fast one was
// lost). Hence deadtime − warntime − keepalive − delay spread − 1 ms, not deadtime − warntime.
//
// A two-node cluster whose quorum rests on a ping witness costs nothing more: the witness reports the
// lease's end when it comes (ping-witness.ts armLeaseEnd: lastAnswer + warntime + 1 ms, no longer at
// the next poll), and its last answer was read before the link went down, as the last heartbeat was.
// (The NATS witness counts its lease from when the round trip was sent, earlier still.)
import type { TimingProfile } from "@vigil/shared/config/timing-profiles";

export function leaseStopBudgetMs(t: TimingProfile, delaySpreadMs: number): number {
  return t.deadtimeMs - t.warntimeMs - t.keepaliveMs - delaySpreadMs - 1;
}
