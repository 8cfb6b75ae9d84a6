// What goes into the heartbeat loop (heartbeat-loop.ts) and what comes out of it: its configuration,
// its inputs, and its effects, plain data that a runtime (the agent's worker thread, the simulator)
// turns into sockets, timers and messages to the main thread.
import type { Transition } from "./failure-detector.js";
import type { PacketDropReason, PeerDuplicate, WirePacket } from "./admit.js";
import type { RejectReason } from "../events/node-alerts.js";
import type { NodeReport } from "./node-report.js";

export interface LoopConfig {
  node: string;
  generation: number;
  haCf: { cluster: string; nodes: readonly string[]; keepaliveMs: number; warntimeMs: number; deadtimeMs: number; initdeadMs: number };
  /** Advertised until the main thread sets another. */
  payload: unknown;
  /** Listen this long after the sockets open, sending only probes, before announcing: another agent
   *  heard in this node's name meanwhile refuses the start. */
  listenFirstMs: number;
  /** Announce once the listen has passed (else wait for the `announce` input). */
  announceOnStart: boolean;
  statsIntervalMs: number;
}

/** The loop's timers: each is armed by a `wake` effect (replacing the one armed before) and comes
 *  back as a `wake` input. */
export type LoopTimer = "listen" | "probe" | "send" | "tick" | "deadline" | "stats";

/** Another agent heard in this node's name. */
export interface SameNameAgent {
  generation: number;
  /** The address and port its packet came from. */
  from: string;
  probing: boolean;
  announcedMs: number | null;
}

/** A configured peer whose packet was dropped for a key this node does not have (peer-rejections.ts). */
export interface RejectedSender {
  peer: string;
  reason: RejectReason;
}

export type LoopInput =
  /** The sockets are bound: the listen begins. */
  | { kind: "opened" }
  /** The main thread ends the listen (announceOnStart false). */
  | { kind: "announce" }
  | { kind: "stop" }
  /** What the main thread wants advertised. */
  | { kind: "payload"; payload: unknown }
  | { kind: "wake"; timer: LoopTimer }
  /** A packet of a configured peer that passed the edge's checks, read on `medium` from `from`. */
  | { kind: "heard"; packet: WirePacket; medium: string; from: string }
  /** A packet in this node's own name from another agent (the edge's verdict). */
  | { kind: "same-name"; generation: number; probing: boolean; announcedMs: number | null; from: string }
  /** A datagram the edge dropped (signature, cluster, sender). */
  | { kind: "dropped"; reason: PacketDropReason; rejected?: RejectedSender };

/** What the loop tells the main thread. */
export type LoopPost =
  | { type: "ready" }
  | { type: "start-failed"; message: string; sameName: SameNameAgent }
  /** After the start: another agent heard in this node's name (`announcedMs` here: this one's). */
  | { type: "same-name"; other: SameNameAgent; announcedMs: number | null }
  /** Two agents heard in a peer's name: the newer generation is refused (peer-twins.ts). */
  | ({ type: "peer-duplicate"; from: string } & PeerDuplicate)
  | { type: "transition"; transition: Transition }
  /** A peer's report changed (decoded: node-report.ts; null, it sends none yet). */
  | { type: "payload"; peer: string; payload: NodeReport | null };

export type LoopEffect =
  /** Send on every medium to every target. */
  | { kind: "send"; packet: WirePacket }
  /** One datagram back to `to` on `medium` (an answer to a probe). */
  | { kind: "reply"; packet: WirePacket; medium: string; to: string }
  | { kind: "post"; message: LoopPost }
  /** Arm `timer` for `at` (on the loop's clock), replacing the one armed before. */
  | { kind: "wake"; timer: LoopTimer; at: number }
  | { kind: "cancel"; timer: LoopTimer }
  /** For the counters (worker-protocol.ts HeartbeatStats). */
  | { kind: "count"; outcome: "accepted" }
  | { kind: "count"; outcome: "duplicate" }
  | { kind: "count"; outcome: "dropped"; reason: PacketDropReason; rejected?: RejectedSender }
  /** Time for the periodic stats report. */
  | { kind: "report" }
  /** The start is refused: close the sockets. */
  | { kind: "stop" };
