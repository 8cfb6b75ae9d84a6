// Messages between the main thread (HeartbeatService) and the heartbeat worker, plus the counters
// both sides share. Everything here crosses a structured-clone boundary: plain data only.
import type { AuthKeys, HaCf } from "@vigil/shared/config/schemas";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import type { RejectTally } from "./peer-rejections.js";

export const DROP_REASONS = [
  "malformed",
  "version",
  "unknown-key",
  "crc-refused",
  "auth",
  "replay",
  "stale",
  "unknown-node",
  "wrong-cluster",
  "self",
  "probe",
  /** A second agent in a peer's name: its older generation speaks on after the newer (peer-twins.ts). */
  "duplicate-node",
] as const;
export type PacketDropReason = (typeof DROP_REASONS)[number];

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

export interface LinkStats {
  generation: number;
  expected: number;
  received: number;
  inPercent: number;
  outPercent: number;
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
  payload: unknown;
  statsIntervalMs: number;
}

/** `stats` with an id asks for an answer carrying that id (periodic reports carry none). */
export type ToWorker = { type: "payload"; payload: unknown } | { type: "stats"; id: number } | { type: "announce" } | { type: "stop" };

/** Another agent heard in this node's name. */
export interface SameNameAgent {
  generation: number;
  /** The address and port its packet came from. */
  from: string;
  probing: boolean;
  announcedMs: number | null;
}

export type FromWorker =
  | { type: "ready"; endpoints: string[] }
  | { type: "start-failed"; message: string; sameName?: SameNameAgent }
  /** After the start: another agent heard in this node's name (`announcedMs` here: this one's). */
  | { type: "same-name"; other: SameNameAgent; announcedMs: number | null }
  /** Two agents heard in a peer's name: the newer generation is refused (peer-twins.ts). */
  | { type: "peer-duplicate"; peer: string; generation: number; keptGeneration: number; from: string }
  /** `at` and `silentMs` on the worker's monotonic clock, expressed as epoch milliseconds. */
  | { type: "transition"; transition: Transition }
  | { type: "payload"; peer: string; payload: unknown }
  | { type: "stats"; stats: HeartbeatStats; id?: number }
  | { type: "stopped"; stats: HeartbeatStats };
