// Messages between the main thread (HeartbeatService) and the heartbeat worker, plus the counters
// both sides share. Everything here crosses a structured-clone boundary: plain data only.
import type { AuthKeys, HaCf } from "@vigil/shared/config/schemas";
import type { LinkStats, LoopPost, SameNameAgent } from "@vigil/shared/heartbeat/heartbeat-loop";
import { DROP_REASONS, type PacketDropReason } from "@vigil/shared/heartbeat/admit";
import type { RejectTally } from "./peer-rejections.js";
import type { WireReport } from "@vigil/shared/heartbeat/node-report";

export { DROP_REASONS, type PacketDropReason };
export type { LinkStats, SameNameAgent } from "@vigil/shared/heartbeat/heartbeat-loop";

export interface HeartbeatStats {
  /** Datagrams sent (one per medium target per keepalive). */
  sent: number;
  /** Sends that failed (link down, no route…): counted, never fatal. */
  sendErrors: number;
  lastSendError: string | null;
  /** Datagrams received on any medium, before any check. */
  received: number;
  /** Packets that passed every check. */
  accepted: number;
  /** The same packet heard again on a redundant medium: expected, not an attack. */
  duplicates: number;
  dropped: Record<PacketDropReason, number>;
  /** Per peer heard lately: its packets this generation (numbers it used, packets heard here) and
   *  the loss over the last LOSS_WINDOW, here (`inPercent`) and at the peer (`outPercent`, as its
   *  heartbeats report it). */
  links: Record<string, LinkStats>;
  /** Heartbeats sent per keepalive now (loss-meter.ts heartbeatCopies: more on a lossy link). */
  copies: number;
  /** Packets of configured peers dropped for a bad key, per peer and reason (peer-rejections.ts). */
  rejected: RejectTally;
}

export function emptyStats(): HeartbeatStats {
  return {
    sent: 0,
    sendErrors: 0,
    lastSendError: null,
    received: 0,
    accepted: 0,
    duplicates: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<PacketDropReason, number>,
    links: {},
    copies: 1,
    rejected: {},
  };
}

export interface WorkerConfig {
  node: string;
  generation: number;
  /** Listen this long, sending only probes, before announcing: another agent heard in this node's
   *  name meanwhile refuses the start (start-failed with `sameName`). */
  listenFirstMs: number;
  /** Announce once the listen has passed (else wait for the main thread's `announce`). */
  announceOnStart: boolean;
  haCf: HaCf;
  authKeys: AuthKeys;
  payload: WireReport | null;
  statsIntervalMs: number;
}

/** `stats` with an id asks for an answer carrying that id (periodic reports carry none). */
export type ToWorker = { type: "payload"; payload: WireReport } | { type: "stats"; id: number } | { type: "announce" } | { type: "stop" };

/** The loop's posts (heartbeat-loop.ts LoopPost; `ready` names the media bound), the worker's own
 *  start failures, and the counters. Transitions' `at` and `silentMs` are on the worker's monotonic
 *  clock, expressed as epoch milliseconds. */
export type FromWorker =
  | Exclude<LoopPost, { type: "ready" }>
  | { type: "ready"; endpoints: string[] }
  | { type: "start-failed"; message: string; sameName?: SameNameAgent }
  | { type: "stats"; stats: HeartbeatStats; id?: number }
  | { type: "stopped"; stats: HeartbeatStats };
