// Which trials a run makes: every kind in turn (in an order the seed shuffles), and for each trial a
// seed of its own, so one trial can be replayed alone: trial 0 of a run uses the run's seed itself,
// hence `--seed <trial seed> --kind K --trials 1` makes exactly that trial again.
import { createRng } from "../sim/prng.js";

export interface PlannedTrial {
  index: number;
  kind: string;
  seed: number;
}

/** A trial's seed: the run's seed for trial 0, a mix of both for the others (uint32). */
export function trialSeed(runSeed: number, index: number): number {
  if (index === 0) return runSeed >>> 0;
  let h = Math.imul((runSeed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(index, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

export function planTrials(runSeed: number, kinds: readonly string[], trials: number): PlannedTrial[] {
  if (kinds.length === 0) throw new Error("chaos: no trial kinds to run");
  const order = [...kinds];
  const rng = createRng((runSeed ^ 0x5eed) >>> 0);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Array.from({ length: trials }, (_, index) => ({ index, kind: order[index % order.length]!, seed: trialSeed(runSeed, index) }));
}

export function replayCommand(t: { kind: string; seed: number }, short: boolean): string {
  return `npm run chaos -- --seed ${t.seed} --kind ${t.kind} --trials 1${short ? " --short" : ""}`;
}
