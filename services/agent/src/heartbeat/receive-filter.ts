// The checks a received datagram passes before it counts as a heartbeat, in order:
// signature, cluster, sender, replay window. Pure, so every drop reason can be tested without sockets.
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { decodePacket, type HeartbeatPacket } from "@vigil/shared/heartbeat/packet";
import { checkReplay, type ReplayWindows } from "@vigil/shared/heartbeat/replay-window";
import { lossOf, lossPercent, noteHeard, type LossWindows } from "@vigil/shared/heartbeat/loss-meter";
import { judgeTwin, type PeerDuplicate, type PeerTwins } from "./peer-twins.js";
import type { PacketDropReason } from "./worker-protocol.js";

export type { PeerDuplicate } from "./peer-twins.js";

export interface FilterContext {
  self: string;
  /** This agent's generation: a packet in this node's name with another one is a second agent. */
  generation?: number;
  cluster: string;
  nodes: ReadonlySet<string>;
  authKeys: Pick<AuthKeys, "keys">;
  allowCrc: boolean;
  /** When this packet was read (monotonic ms); only peer-twins.ts reads it. */
  nowMs?: number;
  /** A generation refused as a second agent is let in once the kept one is silent this long
   *  (peer-twins.ts; the worker gives deadtime). Absent: never. */
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

export type FilterOutcome =
  | {
      kind: "accept";
      /** The packet, its payload unwrapped to what the peer's main thread set. */
      packet: HeartbeatPacket;
      payloadChanged: boolean;
      /** How long before sending the peer had last heard this node (null: it does not hear us;
       *  undefined: it sent no report). */
      heardUsAgoMs: number | null | undefined;
      /** This packet's generation is its sender again: the newer one taken for its restart was a
       *  second agent in its name (peer-twins.ts); the detector must take this generation back. */
      reinstated?: true;
    }
  | { kind: "duplicate" }
  /** A packet signed for this node's own name from another agent (another generation): a second
   *  agent runs, or is starting, as this node. `probing`: it is still listening before announcing
   *  itself; `announcedMs`: how long it has announced itself (null: it does not say). */
  | { kind: "same-name"; generation: number; probing: boolean; announcedMs: number | null }
  | {
      kind: "drop";
      reason: PacketDropReason;
      peerDuplicate?: PeerDuplicate;
      /** A probe for a name taken by an agent still speaking: tell the prober (takenEnvelope). */
      answerProbe?: PeerDuplicate;
    };

export const emptyFilterState = (): FilterState => ({ windows: {}, payloads: {}, loss: {}, lossOfUs: {} });

export function admitPacket(
  state: FilterState,
  bytes: Uint8Array,
  ctx: FilterContext,
): { state: FilterState; outcome: FilterOutcome } {
  const drop = (reason: PacketDropReason) => ({ state, outcome: { kind: "drop", reason } as const });
  const d = decodePacket(bytes, ctx.authKeys, { allowCrc: ctx.allowCrc });
  if (!d.ok) return drop(d.reason);
  const p = d.packet;
  if (p.cluster !== ctx.cluster) return drop("wrong-cluster");
  const taken = takenFlag(p.payload);
  if (taken) {
    // A peer's answer to a probe: the name is taken by another generation (peer-twins.ts).
    if (taken.node === ctx.self && ctx.generation !== undefined && taken.generation !== ctx.generation) {
      return { state, outcome: { kind: "same-name", generation: taken.generation, probing: false, announcedMs: null } };
    }
    return drop("probe");
  }
  // Our own packets come back through multicast loop and broadcast; heartbeat ignores them too.
  if (p.node === ctx.self) {
    if (ctx.generation === undefined || p.generation === ctx.generation) return drop("self");
    const e = envelopeFlags(p.payload);
    return { state, outcome: { kind: "same-name", generation: p.generation, probing: e.probing, announcedMs: e.announcedMs } };
  }
  const probing = envelopeFlags(p.payload).probing;
  if (probing && !ctx.nodes.has(p.node)) return drop("probe");
  if (!ctx.nodes.has(p.node)) return drop("unknown-node");
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
  const { payload, heard, loss } = unwrapHeartbeatPayload(p.payload);
  const heardUsAgoMs = heard === undefined ? undefined : typeof heard[ctx.self] === "number" ? heard[ctx.self]! : null;
  const json = JSON.stringify(payload);
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
    outcome: { kind: "accept", packet: { ...p, payload }, payloadChanged, heardUsAgoMs, ...(twin.kind === "reinstate" ? { reinstated: true } : {}) },
  };
}

/** A peer's `l` entry for this node, as a percent in 0..100 (0 when absent or not a number). */
export function reportedLoss(loss: Record<string, number> | undefined, self: string): number {
  const v = loss?.[self];
  return typeof v === "number" && Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : 0;
}

/** What a worker sends: the main thread's payload, how long ago it last heard each peer (`a`, ms),
 *  and, only for peers whose packets it loses, how many (`l`, percent of the last LOSS_WINDOW) — both
 *  stamped per packet by the worker, and kept out of the payload's change detection. `s`: how long
 *  (ms) this agent has announced itself, so two agents of one name can tell which came first; `j`:
 *  a probe of an agent still listening for another agent of its name before it announces itself. */
export interface HeartbeatEnvelope {
  a: Record<string, number>;
  p: unknown;
  l?: Record<string, number>;
  s?: number;
  j?: 1;
  /** A peer's answer to a probe: this name is taken (takenEnvelope). */
  t?: { n: string; g: number };
}

/** A starting agent's probe: no payload, no reports; peers drop it (receive filter, "probe"). */
export const PROBE_ENVELOPE: HeartbeatEnvelope = { a: {}, p: null, j: 1 };

/** A peer's answer to a probe for a taken name: node `n` runs as generation `g`. Peers drop it. */
export const takenEnvelope = (node: string, generation: number): HeartbeatEnvelope => ({ a: {}, p: null, t: { n: node, g: generation } });

function takenFlag(x: unknown): { node: string; generation: number } | null {
  const t = x && typeof x === "object" ? (x as { t?: unknown }).t : undefined;
  if (!t || typeof t !== "object") return null;
  const { n, g } = t as { n?: unknown; g?: unknown };
  return typeof n === "string" && typeof g === "number" && Number.isInteger(g) ? { node: n, generation: g } : null;
}

function envelopeFlags(x: unknown): { probing: boolean; announcedMs: number | null } {
  const o = (x && typeof x === "object" ? x : {}) as { j?: unknown; s?: unknown };
  return { probing: o.j === 1, announcedMs: typeof o.s === "number" && Number.isFinite(o.s) ? o.s : null };
}

export function wrapHeartbeatPayload(
  payload: unknown,
  heardAgo: Record<string, number>,
  loss: Record<string, number> = {},
  announcedMs?: number,
): HeartbeatEnvelope {
  const e: HeartbeatEnvelope = { a: heardAgo, p: payload };
  if (Object.keys(loss).length > 0) e.l = loss;
  if (announcedMs !== undefined) e.s = Math.round(announcedMs);
  return e;
}

const isRecord = (x: unknown): x is Record<string, number> => !!x && typeof x === "object" && !Array.isArray(x);

export function unwrapHeartbeatPayload(x: unknown): {
  payload: unknown;
  heard: Record<string, number> | undefined;
  loss: Record<string, number> | undefined;
} {
  if (x && typeof x === "object" && "a" in x && "p" in x) {
    const { a, p, l } = x as { a: unknown; p: unknown; l?: unknown };
    if (isRecord(a)) return { payload: p, heard: a, loss: isRecord(l) ? l : undefined };
  }
  return { payload: x, heard: undefined, loss: undefined };
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
