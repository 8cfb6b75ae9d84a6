// Packets dropped for a bad key, per configured peer: the worker tallies them (rejectedSender), the
// main thread turns the tally into one PeerRejected per peer and reason and episode (stepRejections).
// An episode ends when the peer's packets are accepted again and no more are rejected; a later
// rejection starts a new one (a new event), counted from zero. Pure: no sockets, no clock.
import { peekSender } from "@vigil/shared/heartbeat/packet";
import { REJECT_REASON_TEXT, type RejectReason } from "@vigil/shared/events/node-alerts";
import type { PacketDropReason } from "./worker-protocol.js";

/** Drop reasons that mean "signed with a key this node does not have": authkeys differ. */
const KEY_REASONS: ReadonlySet<string> = new Set(Object.keys(REJECT_REASON_TEXT));

/** The worker's tally: peer → reason → packets rejected since the agent started. */
export type RejectTally = Record<string, Partial<Record<RejectReason, number>>>;

/** The configured peer a key-rejected packet claims to come from (its header is not authenticated:
 *  this names whose packets are dropped, nothing more), or undefined for any other drop. */
export function rejectedSender(bytes: Uint8Array, reason: PacketDropReason, ctx: { self: string; cluster: string; nodes: ReadonlySet<string> }): { peer: string; reason: RejectReason } | undefined {
  if (!KEY_REASONS.has(reason)) return undefined;
  const s = peekSender(bytes);
  if (!s || s.cluster !== ctx.cluster || s.node === ctx.self || !ctx.nodes.has(s.node)) return undefined;
  return { peer: s.node, reason: reason as RejectReason };
}

export function noteRejected(tally: RejectTally, r: { peer: string; reason: RejectReason }): void {
  const per = (tally[r.peer] ??= {});
  per[r.reason] = (per[r.reason] ?? 0) + 1;
}

export interface Rejection {
  peer: string;
  reason: RejectReason;
  /** Packets rejected in this episode. */
  count: number;
}

/** Per peer and reason: the total at the last step, and where the open episode started (null: none). */
export type RejectionState = Record<string, { total: number; base: number | null }>;

const key = (peer: string, reason: string) => `${peer} ${reason}`;

/** One stats report: `tally` totals since start, `heard` the peers whose packets were accepted lately. */
export function stepRejections(
  state: RejectionState,
  tally: RejectTally,
  heard: ReadonlySet<string>,
): { state: RejectionState; raised: Rejection[]; healed: Rejection[]; open: Rejection[] } {
  const next: RejectionState = {};
  const raised: Rejection[] = [];
  const healed: Rejection[] = [];
  const open: Rejection[] = [];
  for (const [peer, byReason] of Object.entries(tally))
    for (const [reason, total] of Object.entries(byReason) as [RejectReason, number][]) {
      const was = state[key(peer, reason)] ?? { total: 0, base: null };
      const rose = total > was.total;
      let base = was.base;
      if (base === null && rose) {
        base = was.total;
        raised.push({ peer, reason, count: total - base });
      } else if (base !== null && !rose && heard.has(peer)) {
        healed.push({ peer, reason, count: total - base });
        base = null;
      }
      if (base !== null) open.push({ peer, reason, count: total - base });
      next[key(peer, reason)] = { total, base };
    }
  return { state: next, raised, healed, open };
}
