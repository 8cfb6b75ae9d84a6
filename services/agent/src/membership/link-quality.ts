// Turns the heartbeat worker's per-link loss counters into warnings: a lossy link is reported (with
// the measured loss, both ways) and then at most every REPEAT_MS while it lasts, and its recovery
// once. Pure: the caller supplies the time and records the notices as events.
//
// A lossy link is a warning, not a failure: the worker answers it with more heartbeats per keepalive
// (shared/src/heartbeat/loss-meter.ts) so that the peers stay up and the quorum holds.
import type { LinkStats } from "../heartbeat/worker-protocol.js";

/** At or above this loss (either way) a link is lossy. */
export const LOSSY_PERCENT = 5;
/** Below this (both ways) a lossy link has recovered: apart from LOSSY_PERCENT, so that a link
 *  hovering at the threshold does not warn at every reading. */
export const RECOVERED_PERCENT = 2;
/** While a link stays lossy, its warning is repeated no more often than this. */
export const REPEAT_MS = 30_000;
/** A period's own count is used once it spans this many of the peer's packets (else the window's). */
const MIN_PERIOD_PACKETS = 20;

interface LinkMemory {
  lossy: boolean;
  warnedAt: number;
  generation: number;
  expected: number;
  received: number;
}

export type LinkQualityState = Readonly<Record<string, LinkMemory>>;

export type LinkNotice =
  | { type: "LinkLossy"; body: { peer: string; inPercent: number; outPercent: number; copies: number }; cause: string }
  | { type: "LinkRecovered"; body: { peer: string }; cause: string };

export function stepLinkQuality(
  state: LinkQualityState,
  links: Readonly<Record<string, LinkStats>>,
  copies: number,
  now: number,
): { state: LinkQualityState; notices: LinkNotice[] } {
  const next: Record<string, LinkMemory> = {};
  const notices: LinkNotice[] = [];
  for (const [peer, l] of Object.entries(links)) {
    const m = state[peer];
    const inPercent = periodLoss(m, l);
    const worst = Math.max(inPercent, l.outPercent);
    const lossy = m?.lossy ? worst >= RECOVERED_PERCENT : worst >= LOSSY_PERCENT;
    let warnedAt = m?.warnedAt ?? -Infinity;
    if (lossy && (!m?.lossy || now - warnedAt >= REPEAT_MS)) {
      warnedAt = now;
      notices.push({
        type: "LinkLossy",
        body: { peer, inPercent, outPercent: l.outPercent, copies },
        cause: `the link to ${peer} loses heartbeats: ${inPercent}% of ${peer}'s here, ${l.outPercent}% of ours there; sending ${copies} per keepalive`,
      });
    } else if (!lossy && m?.lossy) {
      notices.push({ type: "LinkRecovered", body: { peer }, cause: `the link to ${peer} no longer loses heartbeats (${worst}% at most)` });
    }
    next[peer] = { lossy, warnedAt, generation: l.generation, expected: l.expected, received: l.received };
  }
  // A peer no longer heard at all is the failure detector's business, not a lossy link.
  return { state: next, notices };
}

/** Loss of the peer's packets since the last reading, or over the worker's window when the period is
 *  too short to say (or the peer restarted, and its counters with it). */
function periodLoss(m: LinkMemory | undefined, l: LinkStats): number {
  if (!m || m.generation !== l.generation) return l.inPercent;
  const expected = l.expected - m.expected;
  const received = l.received - m.received;
  if (expected < MIN_PERIOD_PACKETS || received < 0 || received > expected) return l.inPercent;
  return Math.round((100 * (expected - received)) / expected);
}
