// The nftables model of IPVS's schedulers. nftables picks a backend per new connection by mapping a
// number (a counter or a hash) onto buckets; each bucket names one real server. The bucket lists here
// decide the spread, so they are pure and tested exactly.
import type { LbAlgo, RealServer } from "./virtual-service.js";

/** What nftables computes per new connection: `numgen inc`, `jhash ip saddr` or `jhash ip daddr`. */
export type BucketSelector = "numgen" | "jhash-saddr" | "jhash-daddr";

export interface Bucketing {
  selector: BucketSelector;
  /** buckets[k] = index into the server list given to `bucketsFor`. */
  buckets: number[];
}

/** Large weights are scaled down to keep the verdict map small (IPVS's sh/dh tables have 256 slots too). */
export const MAX_BUCKETS = 256;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Weights reduced by their gcd, then scaled (each at least 1) if their sum passes MAX_BUCKETS. */
export function reducedWeights(weights: readonly number[]): number[] {
  const g = weights.reduce(gcd, 0) || 1;
  const w = weights.map((x) => x / g);
  const sum = w.reduce((a, b) => a + b, 0);
  if (sum <= MAX_BUCKETS) return w;
  return w.map((x) => Math.max(1, Math.floor((x * MAX_BUCKETS) / sum)));
}

/** IPVS's weighted round-robin order: the current weight steps down from the largest by the gcd and
 *  each pass takes every server at least that heavy, so 3:1 gives A A A B and 2:2:1 gives A B A B C —
 *  heavier servers are interleaved, not sent a burst. */
export function wrrSequence(weights: readonly number[]): number[] {
  const w = reducedWeights(weights);
  const total = w.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...w);
  const out: number[] = [];
  let cw = 0;
  let i = -1;
  // Bounded: a full cycle visits each server max times at most.
  for (let guard = 0; out.length < total && guard < w.length * (max + 1); guard++) {
    i = (i + 1) % w.length;
    if (i === 0) {
      cw -= 1;
      if (cw <= 0) cw = max;
    }
    if ((w[i] ?? 0) >= cw) out.push(i);
  }
  return out;
}

/**
 * Buckets for `algo` over `servers` (the live, non-quiesced ones, in config order; weight-0 servers
 * must already be left out, as IPVS gives them no new connections).
 *
 * - rr: one bucket per server, counter mod N.
 * - wrr: IPVS's interleaved weighted order, counter mod sum of (reduced) weights.
 * - sh / dh: hash of the source / destination address over buckets repeated by weight (IPVS's sh and
 *   dh fill their 256-slot tables the same way). dh behind one VIP sends everything to one server: it
 *   is meant for caches in front of many destinations.
 * - lc / wlc: nftables keeps no per-backend connection count that a rule can read, so least-connection
 *   is approximated: lc as rr and wlc as wrr. Under even, short-lived load that is what lc converges to;
 *   under long-lived uneven connections it is not — use the IPVS backend where that matters.
 */
export function bucketsFor(algo: LbAlgo, servers: readonly Pick<RealServer, "weight">[]): Bucketing {
  const n = servers.length;
  if (n === 0) return { selector: "numgen", buckets: [] };
  const weights = servers.map((s) => s.weight);
  switch (algo) {
    case "rr":
    case "lc":
      return { selector: "numgen", buckets: [...Array(n).keys()] };
    case "wrr":
    case "wlc":
      return { selector: "numgen", buckets: wrrSequence(weights) };
    case "sh":
      return { selector: "jhash-saddr", buckets: wrrSequence(weights) };
    case "dh":
      return { selector: "jhash-daddr", buckets: [...Array(n).keys()] };
  }
}
