// Turns an exploration's failures into a message that names the seed and shows the schedule and the
// trace, so that `simulate(options, seed)` replays it exactly.
import type { Exploration } from "./explore.js";
import { describeRun } from "./simulate.js";

export function failureReport(e: Exploration, what: string): string | null {
  const first = e.violations[0] ?? e.unsettled[0];
  if (!first) return null;
  const counts = `${e.violations.length} of ${e.runs} runs broke Invariant 1, ${e.unsettled.length} did not settle`;
  return `${what}: ${counts}; replay with simulate(options, ${first.seed}):\n${describeRun(first, 40)}`;
}

/** Throws with the replay report when any run failed. */
export function assertAllHeld(e: Exploration, what: string): void {
  const report = failureReport(e, what);
  if (report) throw new Error(report);
}
