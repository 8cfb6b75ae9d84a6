// The agent's address lease, as numbers and one rule, pure. The lease worker renews the kernel
// lifetime of every address the agent holds, and ticks on its own timer; a gap between its ticks
// longer than `tickMs + stallLimitMs` means the whole agent was stopped (SIGSTOP, a VM pause): a busy
// main thread does not stop the worker. Both threads judge a gap by `stalledPastLease`.
import type { HaCf } from "@vigil/shared/config/schemas";

/** A renewal must reach the kernel this long before the address would expire (an `ip` spawn on a
 *  loaded host); `ip addr change` re-creates an expired IPv4 address, so a late renewal is not harmless. */
export const RENEW_SAFETY_MS = 250;

export interface LeaseTiming {
  /** Kernel lifetime of a held address (valid_lft = preferred_lft), whole seconds: at most deadtime
   *  (so a frozen node's address is gone about when its peers take over), at least 1. */
  lifetimeS: number;
  /** How often held addresses are renewed: four times per lifetime. */
  renewEveryMs: number;
  /** The worker's tick: it notices its own stalls to this precision. */
  tickMs: number;
  /** A stall longer than this is past the lease: warntime (peers count this node out of their quorum
   *  after it), and short enough that no stall a peer could have taken for death (deadtime less one
   *  keepalive since the last packet, less one tick of measuring) goes unnoticed, and that a renewal
   *  after a shorter stall still lands before the lifetime runs out. */
  stallLimitMs: number;
}

export function leaseTiming(t: Pick<HaCf, "keepaliveMs" | "warntimeMs" | "deadtimeMs">): LeaseTiming {
  const lifetimeS = Math.max(1, Math.floor(t.deadtimeMs / 1000));
  const lifetimeMs = lifetimeS * 1000;
  const renewEveryMs = Math.floor(lifetimeMs / 4);
  const tickMs = Math.min(200, Math.max(20, t.keepaliveMs));
  const stallLimitMs = Math.max(
    tickMs,
    Math.min(t.warntimeMs, t.deadtimeMs - t.keepaliveMs - tickMs, lifetimeMs - renewEveryMs - tickMs - RENEW_SAFETY_MS),
  );
  return { lifetimeS, renewEveryMs, tickMs, stallLimitMs };
}

/** Whether a gap between two lease ticks means the agent was stalled past its lease. */
export const stalledPastLease = (gapMs: number, t: LeaseTiming): boolean => gapMs > t.tickMs + t.stallLimitMs;

/** The bounded fence window of invariant 1 (docs/architecture.md, "The fence window"): after an
 *  agent-only stall or kill, the peers take over at deadtime − keepalive at the earliest, and the
 *  kernel removes the stalled node's addresses at most lifetime + 250 ms (its lifetime check's
 *  rounding) after the stall began. A link loss has no window: the isolated node stops first. */
export function fenceWindowMs(t: Pick<HaCf, "keepaliveMs" | "warntimeMs" | "deadtimeMs">): number {
  return Math.max(0, leaseTiming(t).lifetimeS * 1000 + 250 - (t.deadtimeMs - t.keepaliveMs));
}
