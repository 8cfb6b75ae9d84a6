// Per-peer replay protection, pure. Like IPsec's anti-replay window (RFC 4303 §3.4.3): remember the
// highest sequence number seen in the peer's current generation and a bitmap of the WINDOW numbers
// below it. A lower generation is a packet from before the peer's last restart.

export const REPLAY_WINDOW = 64;

export interface PeerWindow {
  generation: number;
  highest: number;
  /** Bit i set: sequence number `highest - i` was seen. */
  seen: bigint;
}

export type ReplayWindows = Readonly<Record<string, PeerWindow>>;

export type ReplayVerdict =
  | { verdict: "accept"; first: boolean; restarted?: { previousGeneration: number } }
  /** `duplicate`: seen within the window, which redundant media produce routinely. */
  | { verdict: "replay"; duplicate: boolean }
  | { verdict: "stale"; currentGeneration: number };

const MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;

const fresh = (generation: number, seq: number): PeerWindow => ({ generation, highest: seq, seen: 1n });

/** Judges one packet; the returned windows include it when accepted (unchanged otherwise). */
export function checkReplay(
  windows: ReplayWindows,
  peer: string,
  generation: number,
  seq: number,
): { windows: ReplayWindows; result: ReplayVerdict } {
  const w = windows[peer];
  if (!w) return { windows: { ...windows, [peer]: fresh(generation, seq) }, result: { verdict: "accept", first: true } };
  if (generation < w.generation) {
    return { windows, result: { verdict: "stale", currentGeneration: w.generation } };
  }
  if (generation > w.generation) {
    return {
      windows: { ...windows, [peer]: fresh(generation, seq) },
      result: { verdict: "accept", first: false, restarted: { previousGeneration: w.generation } },
    };
  }
  if (seq > w.highest) {
    const shift = seq - w.highest;
    const seen = shift >= REPLAY_WINDOW ? 1n : ((w.seen << BigInt(shift)) | 1n) & MASK;
    return { windows: { ...windows, [peer]: { generation, highest: seq, seen } }, result: { verdict: "accept", first: false } };
  }
  const behind = w.highest - seq;
  if (behind >= REPLAY_WINDOW) return { windows, result: { verdict: "replay", duplicate: false } };
  const bit = 1n << BigInt(behind);
  if ((w.seen & bit) !== 0n) return { windows, result: { verdict: "replay", duplicate: true } };
  // Late but new (reordered on another medium): accept once.
  return { windows: { ...windows, [peer]: { ...w, seen: w.seen | bit } }, result: { verdict: "accept", first: false } };
}
