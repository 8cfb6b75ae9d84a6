// The rules a heartbeat that passed the edge's checks (signature, cluster, a configured peer: the
// agent's receive-filter.ts) goes through before it counts: a second agent in the peer's name
// (peer-twins.ts), probes, the replay window, the newest packet's payload, the loss meter. Pure.
// The peer's report (node-report.ts) is decoded here, once: a packet whose report does not decode
// is dropped as `malformed`, before it changes anything, as one the codec refused would be.
import type { HeartbeatPacket } from "./packet.js";
import { checkReplay, type ReplayWindows } from "./replay-window.js";
import { lossOf, lossPercent, noteHeard, type LossWindows } from "./loss-meter.js";
import { judgeTwin, type PeerDuplicate, type PeerTwins } from "./peer-twins.js";
import { envelopeFlags, reportedLoss, unwrapHeartbeatPayload } from "./envelope.js";
import { decodeNodeReport, type NodeReport } from "./node-report.js";

export type { PeerDuplicate } from "./peer-twins.js";

/** Every reason a datagram is dropped: at the edge (decode, cluster, sender) or by these rules. */
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

/** A decoded packet as the loop sends and hears it (the key that signed it is the edge's business). */
export type WirePacket = Omit<HeartbeatPacket, "keyIndex">;

export interface AdmitContext {
  self: string;
  /** When this packet was read (monotonic ms); only peer-twins.ts reads it. */
  nowMs?: number;
  /** A generation refused as a second agent is let in once the kept one is silent this long
   *  (peer-twins.ts; the loop gives deadtime). Absent: never. */
  releaseMs?: number;
}

export interface FilterState {
  windows: ReplayWindows;
  /** Each peer's last payload as JSON, to report only changes. */
  payloads: Readonly<Record<string, string>>;
  /** How many of each peer's packets are lost on the way here (loss-meter.ts). */
  loss: LossWindows;
  /** How many of this node's packets each peer says it loses (percent, its newest packet's `l`). */
  lossOfUs: Readonly<Record<string, number>>;
  /** Two agents in one peer's name (peer-twins.ts). */
  twins?: PeerTwins;
}

export type AdmitOutcome =
  | {
      kind: "accept";
      /** The packet, its payload unwrapped to what the peer's main thread set. */
      packet: WirePacket;
      /** That payload decoded (null: the peer sends no report yet). */
      report: NodeReport | null;
      payloadChanged: boolean;
      /** How long before sending the peer had last heard this node (null: it does not hear us;
       *  undefined: it sent no report). */
      heardUsAgoMs: number | null | undefined;
      /** This packet's generation is its sender again: the newer one taken for its restart was a
       *  second agent in its name (peer-twins.ts); the detector must take this generation back. */
      reinstated?: true;
    }
  | { kind: "duplicate" }
  | {
      kind: "drop";
      reason: PacketDropReason;
      peerDuplicate?: PeerDuplicate;
      /** A probe for a name taken by an agent still speaking: tell the prober (takenEnvelope). */
      answerProbe?: PeerDuplicate;
    };

export const emptyFilterState = (): FilterState => ({ windows: {}, payloads: {}, loss: {}, lossOfUs: {} });

/** Judges a packet of a configured peer (`p.node`, not this node). */
export function admitHeard(state: FilterState, p: WirePacket, ctx: AdmitContext): { state: FilterState; outcome: AdmitOutcome } {
  const drop = (reason: PacketDropReason) => ({ state, outcome: { kind: "drop", reason } as const });
  const { payload, heard, loss } = unwrapHeartbeatPayload(p.payload);
  const decoded = decodeNodeReport(payload);
  if (!decoded.ok) return drop("malformed");
  const probing = envelopeFlags(p.payload).probing;
  // Two agents in this peer's name? Judged by the order of their packets (peer-twins.ts).
  const twin = judgeTwin(state.twins ?? {}, p.node, state.windows[p.node], p, ctx.nowMs ?? 0, ctx.releaseMs ?? Infinity);
  state = { ...state, twins: twin.twins };
  if (twin.kind === "refuse") {
    // A probe of a second agent is answered TAKEN (with ucast it may hear nothing of the first one).
    const dup = { peer: p.node, generation: p.generation, keptGeneration: twin.kept };
    const report = twin.report ? { peerDuplicate: twin.report } : {};
    return { state, outcome: probing ? { kind: "drop", reason: "probe", answerProbe: dup, ...report } : { kind: "drop", reason: "duplicate-node", ...report } };
  }
  // A starting agent's probe says only "is my name taken?": it is not yet a member, and its new
  // generation must not make its peers drop the running agent's packets as stale.
  if (probing) return drop("probe");
  if (twin.kind === "reinstate") state = { ...state, windows: { ...state.windows, [p.node]: { generation: twin.generation, highest: twin.highest, seen: 1n } } };
  const r = checkReplay(state.windows, p.node, p.generation, p.seq);
  if (r.result.verdict === "stale") return drop("stale");
  if (r.result.verdict === "replay") {
    return r.result.duplicate ? { state, outcome: { kind: "duplicate" } } : drop("replay");
  }
  const heardUsAgoMs = heard === undefined ? undefined : typeof heard[ctx.self] === "number" ? heard[ctx.self]! : null;
  const json = JSON.stringify(decoded.report);
  // Only the newest packet of a peer speaks for its state. A late one (reordered on another medium,
  // or by jitter) is still proof of life, but its payload is older than the one already applied: it
  // could say a group is free that the peer has just taken.
  const newest = r.windows[p.node]?.highest === p.seq;
  const payloadChanged = newest && state.payloads[p.node] !== json;
  const payloads = payloadChanged ? { ...state.payloads, [p.node]: json } : state.payloads;
  const lossOfUs = newest ? { ...state.lossOfUs, [p.node]: reportedLoss(loss, ctx.self) } : state.lossOfUs;
  const lossWindows = noteHeard(state.loss, p.node, p.generation, p.seq);
  return {
    state: { windows: r.windows, payloads, loss: lossWindows, lossOfUs, ...(state.twins ? { twins: state.twins } : {}) },
    outcome: { kind: "accept", packet: { ...p, payload }, report: decoded.report, payloadChanged, heardUsAgoMs, ...(twin.kind === "reinstate" ? { reinstated: true } : {}) },
  };
}

/** What this node reports in its heartbeats' `l`: the peers (of `peers`, those heard lately) whose
 *  packets it loses, in percent of the last LOSS_WINDOW. */
export function lossReport(state: FilterState, peers: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of peers) {
    const pct = lossPercent(lossOf(state.loss[p]));
    if (pct > 0) out[p] = pct;
  }
  return out;
}

/** The worst loss (0..1) on a link to any of `peers` (those heard lately), either way: what this
 *  node loses of theirs, or what they say they lose of this node's. */
export function worstLinkLoss(state: FilterState, peers: Iterable<string>): number {
  let worst = 0;
  for (const p of peers) worst = Math.max(worst, lossOf(state.loss[p]), (state.lossOfUs[p] ?? 0) / 100);
  return worst;
}
