// How often a failed fence is tried again: soon at first (a BMC that dropped one login), then less
// often, and not for ever: after FENCE_MAX_ATTEMPTS failures the node gives up and says so (the
// victim stays UNCLEAN and its groups stay stopped until `vigil node confirm-fenced`, the victim is
// heard again, or the agent restarts with a fence agent that works). Pure: time is an input.

export const FENCE_MAX_ATTEMPTS = 6;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 30_000;

/** A victim's failed attempts since it was last fenced, confirmed or heard. */
export interface FenceTries {
  attempts: number;
  lastAt: number;
}

/** After `attempts` failures, how long until the next try; null: given up. */
export function retryDelayMs(attempts: number): number | null {
  if (attempts >= FENCE_MAX_ATTEMPTS) return null;
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

/** Whether a fence may run now (never tried, or its retry delay has passed and it has not given up). */
export function mayFence(t: FenceTries | undefined, now: number): boolean {
  if (!t || t.attempts === 0) return true;
  const d = retryDelayMs(t.attempts);
  return d !== null && now - t.lastAt >= d;
}
