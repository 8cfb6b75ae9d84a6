// Two agents in one peer's name (a second `vigil agent --node n2` on another host: with ucast it
// hears nothing of the running n2, so its own listen lets it in), judged by the order in which the
// two generations are heard, not by a clock. Pure.
//
// A restart's old generation has stopped sending before the new one sends anything (its process is
// gone: kill -9, a crash, or a stop; on its state dir the lock holds the new one back until then).
// So once a newer generation has been heard, a restart's older one is never heard again with a newer
// seq, however soon the restart came, however long the keepalive, however late this node reads its
// sockets. A second agent's older generation is, every keepalive. Hence:
// - a newer generation is taken for the peer's restart at once (its probes are only dropped);
// - it is a second agent once the older generation has advanced (a seq above its newest) after a
//   packet of the newer one, CONFIRM times: one advance can be a dead agent's last packet read late
//   from another medium's socket, a second one after the newer spoke again cannot;
// - from then on the newer generation is refused (its packets drop as duplicate-node, its probes
//   are answered TAKEN) and the older one keeps the name, reinstated if the newer had been taken;
// - a refused generation is let in once the kept one has been silent for `releaseMs` (deadtime: the
//   detector has declared it dead by then). This, the only use of time here, only ever lets one in.

/** Advances of the older generation after the newer spoke that make the newer a second agent. */
export const CONFIRM = 2;

/** A newer generation heard in a peer's name, and what the older one has done since. */
export interface TwinContest {
  older: number;
  olderHighest: number;
  newer: number;
  /** The newer generation spoke since the older's last advance. */
  newerSpoke: boolean;
  advances: number;
}

/** A generation judged a second agent in the peer's name: refused while `kept` speaks. */
export interface TwinRefusal {
  generation: number;
  kept: number;
  keptHeardAtMs: number;
  /** Told to the agent (DuplicateNode) once, at the first refused packet (its sender's address). */
  reported: boolean;
}

export interface PeerTwin {
  contest?: TwinContest;
  refused?: TwinRefusal;
}

export type PeerTwins = Readonly<Record<string, PeerTwin>>;

/** Two agents heard in one peer's name: the one there first (`keptGeneration`) keeps it. */
export interface PeerDuplicate {
  peer: string;
  generation: number;
  keptGeneration: number;
}

export type TwinVerdict =
  /** Go on with the replay window as for any packet. */
  | { kind: "pass"; twins: PeerTwins }
  /** A second agent's packet: drop it (a probe is answered TAKEN); `report` the first time. */
  | { kind: "refuse"; twins: PeerTwins; kept: number; report?: PeerDuplicate }
  /** The newer generation, taken for a restart, was a second agent: the older one, whose packet this
   *  is, is the peer again (from `highest`, its newest before this packet). */
  | { kind: "reinstate"; twins: PeerTwins; generation: number; highest: number };

export interface TwinPacket {
  generation: number;
  seq: number;
}

const NO_TWIN: PeerTwin = Object.freeze({});

/**
 * Judges one packet of `peer` (a heartbeat or a probe, signature and cluster already checked)
 * against the generation its replay window holds (`current`; undefined: never heard).
 */
export function judgeTwin(
  twins: PeerTwins,
  peer: string,
  current: { generation: number; highest: number } | undefined,
  p: TwinPacket,
  nowMs: number,
  releaseMs: number,
): TwinVerdict {
  if (!current) return { kind: "pass", twins };
  const set = (t: PeerTwin): PeerTwins => ({ ...twins, [peer]: t });
  let t = twins[peer] ?? NO_TWIN;
  const r = t.refused;
  if (r && p.generation === r.generation) {
    if (nowMs - r.keptHeardAtMs < releaseMs) {
      const report = r.reported ? undefined : { peer, generation: r.generation, keptGeneration: r.kept };
      return { kind: "refuse", twins: r.reported ? twins : set({ ...t, refused: { ...r, reported: true } }), kept: r.kept, ...(report ? { report } : {}) };
    }
    // The kept one is dead to its peers: this one may now be its successor (judged as any newer one).
    t = { ...(t.contest ? { contest: t.contest } : {}) };
  } else if (r && p.generation === r.kept) {
    t = { ...t, refused: { ...r, keptHeardAtMs: nowMs } };
  }
  const k = t.contest;
  // A peer never contested keeps no entry: nothing is allocated for its every packet.
  const unchanged = () => (t === (twins[peer] ?? NO_TWIN) ? twins : set(t));
  if (p.generation > current.generation) {
    const same = k && k.newer === p.generation && k.older === current.generation;
    const contest = same ? { ...k, newerSpoke: true } : { older: current.generation, olderHighest: current.highest, newer: p.generation, newerSpoke: true, advances: 0 };
    return { kind: "pass", twins: set({ ...t, contest }) };
  }
  if (!k) return { kind: "pass", twins: unchanged() };
  if (p.generation === k.newer) return { kind: "pass", twins: k.newerSpoke ? unchanged() : set({ ...t, contest: { ...k, newerSpoke: true } }) };
  if (p.generation !== k.older || p.seq <= k.olderHighest) return { kind: "pass", twins: unchanged() };
  // The older generation speaks on, with a seq it had not sent when the newer one was heard.
  const advances = k.advances + (k.newerSpoke ? 1 : 0);
  if (advances < CONFIRM) return { kind: "pass", twins: set({ ...t, contest: { ...k, olderHighest: p.seq, newerSpoke: false, advances } }) };
  const refused: TwinRefusal = { generation: k.newer, kept: k.older, keptHeardAtMs: nowMs, reported: false };
  if (current.generation === k.newer) return { kind: "reinstate", twins: set({ refused }), generation: k.older, highest: k.olderHighest };
  return { kind: "pass", twins: set({ refused }) };
}
