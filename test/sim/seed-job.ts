// One of `npm run sim -- --jobs N`'s worker threads: it runs the ranges of seeds it is sent, in
// order, and answers each with the seeds' outcomes (sim-run.ts SeedOutcome); an empty range ends it.
import { parentPort, workerData } from "node:worker_threads";
import { runSeedOutcome, type Narrowing, type SeedOutcome } from "./sim-run.js";
import type { SeedRange } from "./sim-jobs.js";

export interface JobData {
  only: Narrowing;
  digest: boolean;
}

const port = parentPort!;
const { only, digest } = workerData as JobData;
port.on("message", (r: SeedRange) => {
  if (r.count === 0) return port.close();
  const out: SeedOutcome[] = [];
  for (let seed = r.from; seed < r.from + r.count; seed++) out.push(runSeedOutcome(seed, only, digest)!);
  port.postMessage(out);
});
