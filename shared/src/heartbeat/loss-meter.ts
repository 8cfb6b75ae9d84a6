// Per-peer packet loss, measured from the peer's sequence numbers, and the redundancy it calls for.
// Pure: fed the (generation, seq) of every accepted packet.
//
// Why: the lease (failure-detector.ts leaseEnd) runs out after warntime with nothing heard either
// way — about two missed keepalives with heartbeat's warntime = deadtime/2. On a link losing 20% of
// its packets that happens every few seconds, the node drops out of the quorum and stops its groups
// (issue 7, defect 9). A lossy link is answered the way lossy media always are: by sending more
// copies. Each node sends `heartbeatCopies(worst loss)` heartbeats per keepalive, each a fresh packet
// (own seq, fresh heard-ago report), spread evenly over the keepalive. A quiet link costs nothing
// extra; deadtime, warntime and the lease keep their meaning, so a real link loss fails over as fast.

/** How many of a peer's last sequence numbers the loss is measured over. */
export const LOSS_WINDOW = 32;
/** No more than this many heartbeats per keepalive, however lossy the link. */
export const MAX_COPIES = 4;

export interface LossWindow {
  generation: number;
  highest: number;
  /** Bit i set: sequence number `highest - i` was heard. */
  seen: number;
  /** How many numbers the window covers yet (up to LOSS_WINDOW): a peer heard for the first time
   *  has no history to have lost. */
  span: number;
  /** Since this generation was first heard: numbers the peer used, and packets heard of them (for
   *  loss over any period: the difference of two readings). */
  expected: number;
  received: number;
}

export type LossWindows = Readonly<Record<string, LossWindow>>;

const MASK = LOSS_WINDOW >= 32 ? 0xffffffff : (1 << LOSS_WINDOW) - 1;

const fresh = (generation: number, seq: number): LossWindow => ({ generation, highest: seq, seen: 1, span: 1, expected: 1, received: 1 });

/** Records an accepted packet (the replay window has already refused repeats and stale ones). */
export function noteHeard(windows: LossWindows, peer: string, generation: number, seq: number): LossWindows {
  const w = windows[peer];
  if (!w || generation > w.generation) return { ...windows, [peer]: fresh(generation, seq) };
  if (generation < w.generation) return windows;
  if (seq > w.highest) {
    const shift = seq - w.highest;
    // A gap as long as the whole window is an outage (a link down, a stall), which the detector
    // judges; loss is what is missing between packets that do arrive.
    if (shift >= LOSS_WINDOW) return { ...windows, [peer]: { ...fresh(generation, seq), expected: w.expected + 1, received: w.received + 1 } };
    const seen = (((w.seen << shift) | 1) & MASK) >>> 0;
    const next = { generation, highest: seq, seen, span: Math.min(LOSS_WINDOW, w.span + shift), expected: w.expected + shift, received: w.received + 1 };
    return { ...windows, [peer]: next };
  }
  const behind = w.highest - seq;
  if (behind >= w.span) return windows;
  // Late, reordered on another medium: it was not lost after all.
  const bit = (1 << behind) >>> 0;
  if ((w.seen & bit) !== 0) return windows;
  return { ...windows, [peer]: { ...w, seen: (w.seen | bit) >>> 0, received: w.received + 1 } };
}

/** The share (0..1) of the peer's packets lost within the window. */
export function lossOf(w: LossWindow | undefined): number {
  if (!w || w.span <= 1) return 0;
  let heard = 0;
  for (let i = 0; i < w.span; i++) if ((w.seen >>> i) & 1) heard++;
  return (w.span - heard) / w.span;
}

/** Loss as whole percent, as it travels in heartbeats (`l`) and events. */
export const lossPercent = (loss: number): number => Math.round(loss * 100);

/** Heartbeats per keepalive for the worst loss on any of this node's links (in either direction):
 *  one on a clean link, one more per started 10% of loss, at most MAX_COPIES. At 20% loss three
 *  copies make the chance that warntime passes with nothing heard about 0.2^7.5 ≈ 6e-6 per lease
 *  instead of 0.2^2.5 ≈ 2%. */
export function heartbeatCopies(worstLoss: number): number {
  if (!(worstLoss > 0)) return 1;
  return Math.min(MAX_COPIES, 1 + Math.ceil(worstLoss * 10));
}

/** The send interval for `copies` heartbeats per keepalive. */
export function sendIntervalMs(keepaliveMs: number, copies: number): number {
  return Math.max(1, keepaliveMs / Math.max(1, copies));
}

/** The copies in force, and until when they are kept though the loss looks lower: a window of 32
 *  packets that happens to lose none on a 10% link must not drop the node back to one heartbeat. */
export interface CopiesState {
  copies: number;
  heldUntil: number;
}

/** Heartbeats per keepalive on a clean link. Two when warntime is under three keepalives: there the
 *  lease lapses after two missed heartbeats, and the first losses on a link come before any loss has
 *  been measured (a 20% lossy link flapped at its start: two or three drops in a row, shared by every
 *  peer of a multicast sender). */
export const baseCopies = (t: { keepaliveMs: number; warntimeMs: number }): number => (t.warntimeMs < 3 * t.keepaliveMs ? 2 : 1);

export const initialCopies = (base = 1): CopiesState => ({ copies: base, heldUntil: -Infinity });

/** How long raised copies are kept after the loss that called for them was last seen. */
export const copiesHoldMs = (keepaliveMs: number): number => Math.max(5_000, 20 * keepaliveMs);

/** More copies at once when the loss calls for them; fewer only once the hold has run out. */
export function nextCopies(s: CopiesState, worstLoss: number, now: number, holdMs: number, base = 1): CopiesState {
  const want = Math.max(base, heartbeatCopies(worstLoss));
  if (want >= s.copies) return want === base ? (s.copies === base ? s : { copies: base, heldUntil: -Infinity }) : { copies: want, heldUntil: now + holdMs };
  if (now < s.heldUntil) return s;
  return { copies: want, heldUntil: want > base ? now + holdMs : -Infinity };
}
