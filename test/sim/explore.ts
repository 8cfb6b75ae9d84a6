// Runs many seeded schedules and keeps the failures, each replayable from its seed.
import { simulate, type RunResult } from "./simulate.js";
import type { SimOptions } from "./sim-options.js";

export interface Exploration {
  runs: number;
  violations: RunResult[];
  unsettled: RunResult[];
  events: number;
}

/** Seeds `first` … `first + count − 1`; stops early after `stopAfter` violations (default: never). */
export function explore(o: SimOptions, first: number, count: number, stopAfter = Infinity): Exploration {
  const out: Exploration = { runs: 0, violations: [], unsettled: [], events: 0 };
  for (let seed = first; seed < first + count; seed++) {
    const r = simulate(o, seed);
    out.runs++;
    out.events += r.events;
    if (r.violation) out.violations.push(r);
    else if (r.unsettled.length) out.unsettled.push(r);
    if (out.violations.length >= stopAfter) break;
  }
  return out;
}
