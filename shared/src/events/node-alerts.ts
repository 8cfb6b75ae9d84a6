// Two things `vigil status` must say about a node until they are over, folded from the log:
// a node that could not be fenced (Fenced ok:false, until fenced, confirmed or heard again), and a
// configured peer whose packets a node rejects for a bad key (PeerRejected, its count kept current
// by that node's PacketsDropped, until the node hears the peer or restarts).
import type { EventOf, VigilEvent } from "./vocabulary.js";

/** Why a peer's packets are rejected (vocabulary.ts RejectReason). */
export type RejectReason = EventOf<"PeerRejected">["reason"];

/** What status says for each reason. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  auth: "wrong key",
  "unknown-key": "key index not in authkeys",
  "crc-refused": "crc key refused (allow_crc no)",
};

export interface FenceFailure {
  victim: string;
  /** The node whose fence agent failed. */
  by: string;
  rc: number;
  message: string;
  attempt: number | null;
  /** Null: the node gave up retrying. */
  nextAttemptMs: number | null;
  seq: number;
  time: string;
}

export interface PeerRejection {
  peer: string;
  /** The node that rejects the peer's packets. */
  by: string;
  reason: RejectReason;
  count: number;
  /** When the rejections began (the PeerRejected event). */
  since: string;
  seq: number;
}

export interface NodeAlerts {
  fenceFailures: Record<string, FenceFailure>;
  /** Keyed `by peer reason`. */
  rejections: Record<string, PeerRejection>;
}

export const emptyAlerts = (): NodeAlerts => ({ fenceFailures: {}, rejections: {} });

const forget = (a: NodeAlerts, match: (r: PeerRejection) => boolean) => {
  for (const [k, r] of Object.entries(a.rejections)) if (match(r)) delete a.rejections[k];
};

export function applyAlerts(a: NodeAlerts, e: VigilEvent, seq: number): void {
  switch (e.type) {
    case "Fenced":
      if (e.ok) delete a.fenceFailures[e.victim];
      else
        a.fenceFailures[e.victim] = {
          victim: e.victim, by: e.node, rc: e.rc, message: e.message, attempt: e.attempt ?? null, nextAttemptMs: e.nextAttemptMs ?? null, seq, time: e.time,
        };
      return;
    case "FenceConfirmed":
      delete a.fenceFailures[e.victim];
      return;
    case "NodeUp":
    case "NodeReturned":
    case "NodeRestarted":
      // Heard again: nothing to fence, and its packets are accepted here.
      delete a.fenceFailures[e.peer];
      forget(a, (r) => r.by === e.node && r.peer === e.peer);
      return;
    case "AgentStarted":
      delete a.fenceFailures[e.node];
      forget(a, (r) => r.by === e.node);
      return;
    case "AgentStopped":
      forget(a, (r) => r.by === e.node);
      return;
    case "PeerRejected":
      a.rejections[`${e.node} ${e.peer} ${e.reason}`] = { peer: e.peer, by: e.node, reason: e.reason, count: e.count, since: e.time, seq };
      return;
    case "PacketsDropped": {
      if (!e.rejected) return;
      // The node's open episodes now: counts move on, an episode it no longer lists is over.
      const now = new Map(e.rejected.map((r) => [`${e.node} ${r.peer} ${r.reason}`, r.count]));
      for (const [k, r] of Object.entries(a.rejections))
        if (r.by === e.node) {
          const c = now.get(k);
          if (c === undefined) delete a.rejections[k];
          else r.count = Math.max(r.count, c);
        }
      return;
    }
    default:
      return;
  }
}
