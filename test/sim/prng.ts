// A seeded random source for the simulator (mulberry32): the same seed gives the same run, so a
// failing schedule can be replayed from its seed alone. Nothing here reads the system's randomness.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  float(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** An independent stream, so that drawing more from one stream does not shift the other. */
  fork(salt: number): Rng;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    float: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()),
    chance: (p) => next() < p,
    pick: (xs) => {
      if (xs.length === 0) throw new Error("pick from an empty list");
      return xs[Math.floor(xs.length * next())]!;
    },
    fork: (salt) => createRng((Math.imul(seed ^ salt, 0x9e3779b1) + salt) >>> 0),
  };
  return rng;
}
