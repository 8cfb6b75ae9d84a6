// The intervals and budgets that follow from a node's four heartbeat numbers (keepalive, warntime,
// deadtime, initdead: timing-profiles.ts, hacf-timing.ts), each derived once, here. The agent, the
// simulator, the chaos suite, the bench and the tests all take them from here: a second copy that
// "agrees today" is a defect waiting for the day it does not.
import type { TimingProfile } from "./timing-profiles.js";

type Timing = Pick<TimingProfile, "keepaliveMs" | "warntimeMs" | "deadtimeMs">;

/** How soon after a node's last packet its peers may call it dead and take its groups over: deadtime
 *  counts from the last packet heard, sent at most one keepalive before the node went silent. */
export const earliestTakeoverMs = (t: Pick<Timing, "keepaliveMs" | "deadtimeMs">): number => t.deadtimeMs - t.keepaliveMs;

/** The lease rule as documented (docs/architecture.md, "Quorum and the lease"): a node out of its
 *  peers' quorum after warntime stops its groups before they call it dead at deadtime. */
export const documentedStopBudgetMs = (t: Pick<Timing, "warntimeMs" | "deadtimeMs">): number => t.deadtimeMs - t.warntimeMs;

/** What is really left for that stop: the peers' heard-ago report may be a keepalive old (the
 *  detector's vouch slack), and that keepalive counts against the lease. It is for all a node still
 *  does once its lease has ended: a start already running finishes before the stop begins (an OCF
 *  start cannot be interrupted), so it counts too. The tie-breaker splits it (tiebreak.ts). */
export const leaseStopBudgetMs = (t: Timing): number => documentedStopBudgetMs(t) - t.keepaliveMs;

/** The stop budget with quorum from peers' heartbeats, for packets that take up to `maxDelayMs` (the
 *  detectors see a threshold within a millisecond: a deadline timer at nextDeadline + 1 ms). */
export const peerLeaseStopBudgetMs = (t: Timing, maxDelayMs: number): number => leaseStopBudgetMs(t) - maxDelayMs - 1;

/** The stop budget with quorum from a witness: its answers do not say when the peer last heard this
 *  node, which may be a keepalive plus the delay spread before the link went down. */
export const witnessLeaseStopBudgetMs = (t: Timing, delaySpreadMs: number): number => leaseStopBudgetMs(t) - delaySpreadMs - 1;

/** How often a witness is asked (the ping witness's echo, the NATS witness's poll): twice a keepalive,
 *  no more often than every 20 ms. */
export const witnessIntervalMs = (t: Pick<Timing, "keepaliveMs">): number => Math.max(20, Math.floor(t.keepaliveMs / 2));

/** The controller's own timer (what no event wakes it for: failback stability, retries). */
export const controllerTickMs = (t: Pick<Timing, "keepaliveMs">): number => Math.max(250, t.keepaliveMs);

/** How long a node must have been up before a group fails back to it: deadtime, at least a second. */
export const failbackStableMs = (t: Pick<Timing, "deadtimeMs">): number => Math.max(t.deadtimeMs, 1_000);

/** A renewal must reach the kernel this long before the address would expire (an `ip` spawn on a
 *  loaded host); `ip addr change` re-creates an expired IPv4 address, so a late renewal is not harmless. */
export const RENEW_SAFETY_MS = 250;

/** The agent's address lease (services/agent/src/lease). */
export interface LeaseTiming {
  /** Kernel lifetime of a held address (valid_lft = preferred_lft), whole seconds: at most deadtime
   *  (so a frozen node's address is gone about when its peers take over), at least 1. */
  lifetimeS: number;
  /** How often held addresses are renewed: four times per lifetime. */
  renewEveryMs: number;
  /** The lease worker's tick: it notices its own stalls to this precision. */
  tickMs: number;
  /** A stall longer than this is past the lease: warntime (peers count this node out of their quorum
   *  after it), and short enough that no stall a peer could have taken for death (the earliest
   *  takeover, less one tick of measuring) goes unnoticed, and that a renewal after a shorter stall
   *  still lands before the lifetime runs out. */
  stallLimitMs: number;
}

export function leaseTiming(t: Timing): LeaseTiming {
  const lifetimeS = Math.max(1, Math.floor(t.deadtimeMs / 1000));
  const lifetimeMs = lifetimeS * 1000;
  const renewEveryMs = Math.floor(lifetimeMs / 4);
  const tickMs = Math.min(200, Math.max(20, t.keepaliveMs));
  const stallLimitMs = Math.max(tickMs, Math.min(t.warntimeMs, earliestTakeoverMs(t) - tickMs, lifetimeMs - renewEveryMs - tickMs - RENEW_SAFETY_MS));
  return { lifetimeS, renewEveryMs, tickMs, stallLimitMs };
}

/** The bounded fence window of invariant 1 (docs/architecture.md, "The fence window"): after an
 *  agent-only stall or kill, the peers take over at the earliest takeover, and the kernel removes the
 *  stalled node's addresses at most lifetime + 250 ms (its lifetime check's rounding) after the stall
 *  began. A link loss has no window: the isolated node stops first. */
export function fenceWindowMs(t: Timing): number {
  return Math.max(0, leaseTiming(t).lifetimeS * 1000 + 250 - earliestTakeoverMs(t));
}
