// The checks a received datagram passes before it counts as a heartbeat, in order:
// signature, cluster, sender, replay window. Pure, so every drop reason can be tested without sockets.
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { decodePacket, type HeartbeatPacket } from "@vigil/shared/heartbeat/packet";
import { checkReplay, type ReplayWindows } from "@vigil/shared/heartbeat/replay-window";
import { lossOf, lossPercent, noteHeard, type LossWindows } from "@vigil/shared/heartbeat/loss-meter";
import type { PacketDropReason } from "./worker-protocol.js";

export interface FilterContext {
  self: string;
  /** This agent's generation: a packet in this node's name with another one is a second agent. */
  generation?: number;
  cluster: string;
  nodes: ReadonlySet<string>;
  authKeys: Pick<AuthKeys, "keys">;
  allowCrc: boolean;
  /** When this packet was read (monotonic ms): time is an input. */
  nowMs: number;
  /** A peer's generation silent this long may be replaced by a newer one (a restart); a newer one
   *  heard while the older still speaks is a second agent in that name (duplicate-peer rule). */
  quietMs: number;
}

/** Two agents heard in one peer's name: the one there first (`keptGeneration`) keeps it. */
export interface PeerDuplicate {
  peer: string;
  generation: number;
  keptGeneration: number;
}

export interface FilterState {
  windows: ReplayWindows;
  /** Each peer's last payload as JSON, to report only changes. */
  payloads: Readonly<Record<string, string>>;
  /** How many of each peer's packets are lost on the way here (loss-meter.ts). */
  loss: LossWindows;
  /** How many of this node's packets each peer says it loses (percent, its newest packet's `l`). */
  lossOfUs: Readonly<Record<string, number>>;
  /** When each peer's current generation was last accepted (ctx.nowMs). */
  heardAtMs: Readonly<Record<string, number>>;
  /** The generation a newer one replaced, and its highest seq: should it speak again with a newer
   *  seq, it was no restart. */
  prior: Readonly<Record<string, { generation: number; highest: number }>>;
  /** A newer generation refused while the older one speaks (packets dropped as `duplicate-node`). */
  refused: Readonly<Record<string, number>>;
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
      /** This packet showed a newer generation of its sender to be a second agent (now refused). */
      peerDuplicate?: PeerDuplicate;
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

export const emptyFilterState = (): FilterState => ({ windows: {}, payloads: {}, loss: {}, lossOfUs: {}, heardAtMs: {}, prior: {}, refused: {} });

export function admitPacket(
  initial: FilterState,
  bytes: Uint8Array,
  ctx: FilterContext,
): { state: FilterState; outcome: FilterOutcome } {
  let state = initial;
  const drop = (reason: PacketDropReason) => ({ state, outcome: { kind: "drop", reason } as const });
  const d = decodePacket(bytes, ctx.authKeys, { allowCrc: ctx.allowCrc });
  if (!d.ok) return drop(d.reason);
  const p = d.packet;
  if (p.cluster !== ctx.cluster) return drop("wrong-cluster");
  // Our own packets come back through multicast loop and broadcast; heartbeat ignores them too.
  const taken = takenFlag(p.payload);
  if (taken) {
    // A peer's answer to this node's probe: its name is taken by another generation, still speaking.
    if (taken.node === ctx.self && ctx.generation !== undefined && taken.generation !== ctx.generation) {
      return { state, outcome: { kind: "same-name", generation: taken.generation, probing: false, announcedMs: null } };
    }
    return drop("probe");
  }
  if (p.node === ctx.self) {
    if (ctx.generation === undefined || p.generation === ctx.generation) return drop("self");
    const e = envelopeFlags(p.payload);
    return { state, outcome: { kind: "same-name", generation: p.generation, probing: e.probing, announcedMs: e.announcedMs } };
  }
  // A starting agent's probe says only "is my name taken?": it is not yet a member, and its new
  // generation must not make its peers drop the running agent's packets as stale.
  if (envelopeFlags(p.payload).probing) {
    // ...but a probe for a name whose agent still speaks is a second agent: answer it (the worker
    // sends TAKEN to the prober), since with ucast it may hear nothing of that agent itself.
    const w = state.windows[p.node];
    const heardAt = state.heardAtMs[p.node];
    if (!ctx.nodes.has(p.node) || !w || p.generation <= w.generation || heardAt === undefined || ctx.nowMs - heardAt >= ctx.quietMs) return drop("probe");
    const first = state.refused[p.node] !== p.generation;
    const peerDuplicate = { peer: p.node, generation: p.generation, keptGeneration: w.generation };
    return {
      state: { ...state, refused: { ...state.refused, [p.node]: p.generation } },
      outcome: { kind: "drop", reason: "probe", answerProbe: peerDuplicate, ...(first ? { peerDuplicate } : {}) },
    };
  }
  if (!ctx.nodes.has(p.node)) return drop("unknown-node");
  const same = sameNamePeer(state, p.node, p.generation, p.seq, ctx);
  if (same.kind === "refuse") {
    const refused = { ...state.refused, [p.node]: p.generation };
    const first = state.refused[p.node] !== p.generation;
    const peerDuplicate = first ? { peer: p.node, generation: p.generation, keptGeneration: same.kept } : undefined;
    return { state: { ...state, refused }, outcome: { kind: "drop", reason: "duplicate-node", ...(peerDuplicate ? { peerDuplicate } : {}) } };
  }
  state = same.state;
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
  const heardAtMs = { ...state.heardAtMs, [p.node]: ctx.nowMs };
  const prior = r.result.restarted ? { ...state.prior, [p.node]: { generation: r.result.restarted.previousGeneration, highest: state.windows[p.node]!.highest } } : state.prior;
  const refused = r.result.restarted ? withoutKey(state.refused, p.node) : state.refused;
  return {
    state: { windows: r.windows, payloads, loss: lossWindows, lossOfUs, heardAtMs, prior, refused },
    outcome: { kind: "accept", packet: { ...p, payload }, payloadChanged, heardUsAgoMs, ...(same.kind === "revert" ? { peerDuplicate: same.peerDuplicate } : {}) },
  };
}

/** A newer generation of a peer is a restart only once the older one has gone silent (ctx.quietMs):
 *  a restarting agent listens before announcing, so its old generation is quiet by then. Heard while
 *  the older one still speaks, it is a second agent in that name: refused, and the one there first
 *  keeps the name. If the newer one got in anyway (the older one's packets lost meanwhile), the
 *  older one's next packet (a newer seq than its last: no replay) reverts to it. */
function sameNamePeer(
  state: FilterState,
  peer: string,
  generation: number,
  seq: number,
  ctx: FilterContext,
):
  | { kind: "refuse"; kept: number }
  | { kind: "pass"; state: FilterState }
  | { kind: "revert"; state: FilterState; peerDuplicate: PeerDuplicate } {
  const w = state.windows[peer];
  if (!w) return { kind: "pass", state };
  const heardAt = state.heardAtMs[peer];
  const olderSpeaks = heardAt !== undefined && ctx.nowMs - heardAt < ctx.quietMs;
  if (generation > w.generation && olderSpeaks) return { kind: "refuse", kept: w.generation };
  const prior = state.prior[peer];
  if (prior && generation === prior.generation && generation < w.generation && seq > prior.highest) {
    const windows = { ...state.windows, [peer]: { generation: prior.generation, highest: prior.highest, seen: 1n } };
    return {
      kind: "revert",
      state: { ...state, windows, prior: withoutKey(state.prior, peer), refused: { ...state.refused, [peer]: w.generation } },
      peerDuplicate: { peer, generation: w.generation, keptGeneration: prior.generation },
    };
  }
  return { kind: "pass", state };
}

function withoutKey<T>(r: Readonly<Record<string, T>>, k: string): Readonly<Record<string, T>> {
  if (!(k in r)) return r;
  const { [k]: _, ...rest } = r;
  return rest;
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
