// `npm run sim -- --jobs N`: the seeds run in N worker threads (seed-job.ts), each handed a short
// range at a time so that a slow range (seven nodes) does not leave the other threads idle at the
// end. Each seed's run depends on its seed alone, so the outcomes are the same as in one thread;
// the tally puts them in seed order (sim-run.ts addOutcome).
import { Worker } from "node:worker_threads";
import type { SeedOutcome } from "./sim-run.js";
import type { JobData } from "./seed-job.js";

export interface SeedRange {
  from: number;
  count: number;
}

/** Seeds per range handed to a thread: a few seconds of work at seven nodes. */
const RANGE = 8;

/** Runs seeds `from` … `from + count − 1` in `jobs` threads; `onRange` gets a range's outcomes as it
 *  ends (ranges end in any order). Rejects if a thread fails. */
export function runSeedsInJobs(from: number, count: number, jobs: number, data: JobData, onRange: (outcomes: SeedOutcome[]) => void): Promise<void> {
  let next = from;
  const end = from + count;
  const take = (): SeedRange => {
    const r = { from: next, count: Math.min(RANGE, end - next) };
    next += r.count;
    return r;
  };
  const threads = Array.from({ length: Math.min(jobs, Math.ceil(count / RANGE)) }, () => new Worker(new URL("./seed-job.js", import.meta.url), { workerData: data }));
  return new Promise((resolve, reject) => {
    let open = threads.length;
    let failed = false;
    for (const w of threads) {
      w.on("message", (out: SeedOutcome[]) => {
        onRange(out);
        w.postMessage(take());
      });
      w.on("error", (e) => {
        failed = true;
        for (const t of threads) void t.terminate();
        reject(e);
      });
      w.on("exit", (code) => {
        if (code !== 0 && !failed) {
          failed = true;
          reject(new Error(`sim: a job thread exited with code ${code}`));
        }
        if (--open === 0 && !failed) resolve();
      });
      w.postMessage(take());
    }
  });
}
