// Named timing profiles (as hashicorp/memberlist names LAN/WAN/Local), each written once here.
// The ha.cf parser takes its defaults from `classic`; `fast` is what the lab and the examples use.

export interface TimingProfile {
  /** How often a node sends a heartbeat. */
  keepaliveMs: number;
  /** Silence after which a peer is reported late (a warning, no action). */
  warntimeMs: number;
  /** Silence after which a peer is declared dead. */
  deadtimeMs: number;
  /** deadtime used at start-up, while links and peers come up. */
  initdeadMs: number;
}

export type TimingProfileName = "classic" | "fast";

export const TIMING_PROFILES: Readonly<Record<TimingProfileName, Readonly<TimingProfile>>> = {
  // heartbeat's defaults: keepalive 2s and deadtime 30s (ha.cf documentation); warntime defaults to
  // deadtime/2 and initdead to deadtime when deadtime > 10s (init_config in heartbeat's config.c).
  classic: { keepaliveMs: 2000, warntimeMs: 15_000, deadtimeMs: 30_000, initdeadMs: 30_000 },
  // A LAN or dedicated link, aiming at failover under 250 ms: four missed keepalives mean dead.
  // initdead stays long so that a booting cluster does not declare peers dead before links are up.
  fast: { keepaliveMs: 50, warntimeMs: 100, deadtimeMs: 200, initdeadMs: 2000 },
};

/** heartbeat's warntime when ha.cf gives none: half of deadtime (config.c, init_config). */
export function defaultWarntimeMs(deadtimeMs: number): number {
  return Math.floor(deadtimeMs / 2);
}

/** heartbeat's initdead when ha.cf gives none (config.c, init_config): deadtime when over 10 s,
 *  else 12 s when deadtime is under 6 s, else twice deadtime. */
export function defaultInitdeadMs(deadtimeMs: number): number {
  if (deadtimeMs > 10_000) return deadtimeMs;
  if (deadtimeMs < 6000) return 12_000;
  return 2 * deadtimeMs;
}
