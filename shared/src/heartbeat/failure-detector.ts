// heartbeat's per-node failure detector, pure: time arrives as `now` (milliseconds on any clock).
//
// heartbeat's rules: a node silent for `warntime` draws "WARN: Late heartbeat"; silent for `deadtime`
// it is declared dead; at start-up a node never heard is given `initdead` (counted from the start)
// before it is declared dead, because network links and peers may come up slowly after a reboot.

import type { PeerLiveness } from "../states.js";

export interface DetectorTiming {
  warntimeMs: number;
  deadtimeMs: number;
  initdeadMs: number;
  /** Extra time the peer's report of hearing this node may be old (one keepalive): the report is
   *  stamped when the peer sends and refreshed once per keepalive, so without slack it would run
   *  two keepalives behind and peers would flap late with no fault at all (the simulator's finding). */
  vouchSlackMs?: number;
}

export interface PeerState {
  status: PeerLiveness;
  /** When the last packet was heard; undefined while never heard. */
  lastHeard?: number;
  generation?: number;
  /** When the peer last heard *this* node, as its packets report it (on this node's clock). A peer
   *  is `up` only while both directions are fresh: the lease runs from the older of the two, which
   *  is what the peer's own deadtime runs from. Undefined: the peer does not report it (then only
   *  this node's direction counts). */
  vouchedAt?: number;
}

export interface DetectorState {
  timing: DetectorTiming;
  startedAt: number;
  peers: Readonly<Record<string, PeerState>>;
}

export type DetectorInput =
  /** `heardUsAgoMs`: how long before sending the peer had last heard this node (its packet's report);
   *  null when its report does not name this node (it does not hear us); undefined when it sends no
   *  report at all. */
  | { kind: "heard"; peer: string; generation: number; heardUsAgoMs?: number | null }
  | { kind: "tick" }
  /** This node itself was not running for `ms` (SIGSTOP, a VM pause, a long GC): that time is not
   *  the peers' silence, and their queued packets have not been read yet. */
  | { kind: "stalled"; ms: number };

export interface Transition {
  peer: string;
  from: PeerLiveness;
  to: PeerLiveness;
  at: number;
  /** Silence before this transition: since the last packet, or since the start if never heard. */
  silentMs: number;
  /** The peer's generation as last heard; null while never heard. */
  generation: number | null;
  /** dead → up: heartbeat's "node returned". */
  returned?: true;
  /** up → late because this node itself was stalled, not because the peer went quiet. */
  stalled?: true;
  /** up → late because the peer reports it has not heard this node within warntime. */
  unvouched?: true;
  /** The peer came back with a higher generation: it restarted. */
  restarted?: true;
  previousGeneration?: number;
}

export function createDetector(peers: readonly string[], timing: DetectorTiming, now: number): DetectorState {
  return { timing, startedAt: now, peers: Object.fromEntries(peers.map((p) => [p, { status: "init" as const }])) };
}

export function step(
  state: DetectorState,
  input: DetectorInput,
  now: number,
): { state: DetectorState; transitions: Transition[] } {
  if (input.kind === "heard") return heard(state, input.peer, input.generation, now, input.heardUsAgoMs);
  if (input.kind === "stalled") return forgive(state, input.ms, now);
  return tick(state, now);
}

/** The stall is not the peers' silence (they are not called dead for it), but nothing was heard
 *  during it either: peers that were up are late until their next packet is read. Quorum counts only
 *  peers that are up, so this node's lease does not stretch over its own stall while its peers'
 *  deadtime runs on. */
function forgive(state: DetectorState, ms: number, now: number): { state: DetectorState; transitions: Transition[] } {
  const transitions: Transition[] = [];
  const peers = Object.fromEntries(
    Object.entries(state.peers).map(([n, p]) => {
      if (p.lastHeard === undefined) return [n, p];
      const shifted: PeerState = { ...p, lastHeard: p.lastHeard + ms };
      if (p.status !== "up") return [n, shifted];
      transitions.push({ peer: n, from: "up", to: "late", at: now, silentMs: now - p.lastHeard, generation: p.generation ?? null, stalled: true });
      return [n, { ...shifted, status: "late" as const }];
    }),
  );
  return { state: { ...state, startedAt: state.startedAt + ms, peers }, transitions };
}

function silence(state: DetectorState, p: PeerState, now: number): number {
  return now - (p.lastHeard ?? state.startedAt);
}

/** When a peer's lease ends: warntime after this node last heard it, or (plus the slack) after it
 *  last heard this node, whichever comes first. The peer's own deadtime runs from the latter. */
function leaseEnd(p: PeerState, t: DetectorTiming): number {
  const own = (p.lastHeard ?? -Infinity) + t.warntimeMs;
  return p.vouchedAt === undefined ? own : Math.min(own, p.vouchedAt + t.warntimeMs + (t.vouchSlackMs ?? 0));
}

function heard(state: DetectorState, peer: string, generation: number, now: number, heardUsAgoMs?: number | null) {
  const p = state.peers[peer];
  // Not a configured node, or a packet from before the peer's last restart: not evidence of life.
  if (!p || (p.generation !== undefined && generation < p.generation)) return { state, transitions: [] };
  const restarted = p.generation !== undefined && generation > p.generation;
  // A peer that just came up (or back) may not have heard this node yet: it gets warntime to do so.
  const fresh = p.status === "init" || p.status === "dead" || restarted;
  const vouchedAt =
    heardUsAgoMs === undefined ? undefined : heardUsAgoMs === null ? (fresh ? now : (p.vouchedAt ?? now)) : now - heardUsAgoMs;
  const { warntimeMs, deadtimeMs } = state.timing;
  const next: PeerState = { status: "up", lastHeard: now, generation, ...(vouchedAt !== undefined ? { vouchedAt } : {}) };
  // Heard, but the peer has not heard this node within warntime: alive, outside the quorum (late).
  // A peer coming back from init or dead is `up` first (NodeUp / NodeReturned), late at the next tick.
  const unvouched = warntimeMs < deadtimeMs && now >= leaseEnd(next, state.timing);
  if (unvouched && (p.status === "up" || p.status === "late") && !restarted) {
    const transitions: Transition[] =
      p.status === "up" ? [{ peer, from: "up", to: "late", at: now, silentMs: now - (next.vouchedAt ?? now), generation, unvouched: true }] : [];
    return { state: { ...state, peers: { ...state.peers, [peer]: { ...next, status: "late" as const } } }, transitions };
  }
  const transitions: Transition[] = [];
  if (p.status !== "up" || restarted) {
    const t: Transition = { peer, from: p.status, to: "up", at: now, silentMs: silence(state, p, now), generation };
    if (p.status === "dead") t.returned = true;
    if (restarted) {
      t.restarted = true;
      t.previousGeneration = p.generation;
    }
    transitions.push(t);
  }
  return { state: { ...state, peers: { ...state.peers, [peer]: next } }, transitions };
}

function tick(state: DetectorState, now: number) {
  const { warntimeMs, deadtimeMs, initdeadMs } = state.timing;
  const transitions: Transition[] = [];
  let peers: Record<string, PeerState> | undefined;
  const set = (name: string, p: PeerState, to: PeerLiveness) => {
    peers ??= { ...state.peers };
    const t: Transition = {
      peer: name,
      from: p.status,
      to,
      at: now,
      silentMs: silence(state, p, now),
      generation: p.generation ?? null,
    };
    transitions.push(t);
    const q = { ...p, status: to };
    peers[name] = q;
    return q;
  };
  for (const [name, p0] of Object.entries(state.peers)) {
    let p = p0;
    const silent = silence(state, p, now);
    if (p.status === "init") {
      if (silent >= initdeadMs) set(name, p, "dead");
      continue;
    }
    // A warntime at or beyond deadtime means no warning stage (heartbeat warns only before deadtime).
    if (p.status === "up" && warntimeMs < deadtimeMs && now >= leaseEnd(p, state.timing)) {
      const unvouched = silent < warntimeMs;
      p = set(name, p, "late");
      if (unvouched) transitions[transitions.length - 1]!.unvouched = true;
    }
    if ((p.status === "up" || p.status === "late") && silent >= deadtimeMs) set(name, p, "dead");
  }
  return { state: peers ? { ...state, peers } : state, transitions };
}

/** The earliest instant at which a tick could produce a transition (undefined: none pending). */
export function nextDeadline(state: DetectorState): number | undefined {
  const { warntimeMs, deadtimeMs, initdeadMs } = state.timing;
  let best: number | undefined;
  const consider = (t: number) => {
    if (best === undefined || t < best) best = t;
  };
  for (const p of Object.values(state.peers)) {
    if (p.status === "init") consider(state.startedAt + initdeadMs);
    else if (p.status === "up" && p.lastHeard !== undefined)
      consider(warntimeMs < deadtimeMs ? leaseEnd(p, state.timing) : p.lastHeard + deadtimeMs);
    else if (p.status === "late" && p.lastHeard !== undefined) consider(p.lastHeard + deadtimeMs);
  }
  return best;
}

/** The receive filter found that the newer generation it took for `peer`'s restart was a second
 *  agent in its name (services/agent/src/heartbeat/peer-twins.ts): the older `generation` is the
 *  peer again, and its packets count as its life once more (a lower one is otherwise ignored). */
export function reinstateGeneration(state: DetectorState, peer: string, generation: number): DetectorState {
  const p = state.peers[peer];
  if (!p || p.generation === undefined || p.generation <= generation) return state;
  return { ...state, peers: { ...state.peers, [peer]: { ...p, generation } } };
}
