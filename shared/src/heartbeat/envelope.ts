// What a heartbeat's payload carries on the wire besides the main thread's payload: the sender's
// reports (heard-ago, loss, how long it has announced itself) and the start-up probe and its answer.
// Read and written only here.

/** What a heartbeat loop sends: the main thread's payload, how long ago it last heard each peer (`a`,
 *  ms), and, only for peers whose packets it loses, how many (`l`, percent of the last LOSS_WINDOW) —
 *  both stamped per packet, and kept out of the payload's change detection. `s`: how long (ms) this
 *  agent has announced itself, so two agents of one name can tell which came first; `j`: a probe of an
 *  agent still listening for another agent of its name before it announces itself. */
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

/** The TAKEN answer a payload carries, if any. */
export function takenFlag(x: unknown): { node: string; generation: number } | null {
  const t = x && typeof x === "object" ? (x as { t?: unknown }).t : undefined;
  if (!t || typeof t !== "object") return null;
  const { n, g } = t as { n?: unknown; g?: unknown };
  return typeof n === "string" && typeof g === "number" && Number.isInteger(g) ? { node: n, generation: g } : null;
}

export function envelopeFlags(x: unknown): { probing: boolean; announcedMs: number | null } {
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

/** A peer's `l` entry for this node, as a percent in 0..100 (0 when absent or not a number). */
export function reportedLoss(loss: Record<string, number> | undefined, self: string): number {
  const v = loss?.[self];
  return typeof v === "number" && Number.isFinite(v) ? Math.min(100, Math.max(0, v)) : 0;
}
