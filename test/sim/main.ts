// `npm run sim`: seeded fault schedules on simulated clusters running the production node code; a
// table of seeds per fault kind and scenario, violations per invariant, each with its replay.
import { parseSimArgs, type SimArgs } from "./sim-args.js";
import { addOutcome, emptyTally, formatOutcome, formatTally, judgeRun, runSeed, runSeedOutcome, type Narrowing, type SeedOutcome, type Tally } from "./sim-run.js";
import { runSeedsInJobs } from "./sim-jobs.js";
import { scenarioFor } from "./scenarios.js";
import { describeRun } from "./simulate.js";

/** How often a long run says how far it got (stderr). */
const PROGRESS_EVERY_MS = 10_000;

async function main(): Promise<number> {
  let a: SimArgs;
  try {
    a = parseSimArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const only: Narrowing = { ...(a.scenario ? { scenario: a.scenario } : {}), ...(a.nodes ? { nodes: a.nodes } : {}) };
  if (!scenarioFor(a.seed ?? a.from, only)) return (console.error(`sim: no scenario has ${a.nodes} nodes`), 2);
  if (a.seed !== undefined) {
    const r = runSeed(a.seed, only)!;
    console.log(`seed ${a.seed}: ${r.scenario}, ${r.nodes} nodes\n${describeRun(r.run, 400)}`);
    const broke = judgeRun(r.run);
    for (const b of broke) console.log(`broke "${b.invariant}": ${b.detail}`);
    console.log(`1 seeds, ${broke.length} violations`);
    return broke.length ? 1 : 0;
  }
  const t = emptyTally();
  const listed: SeedOutcome[] = [];
  const t0 = performance.now();
  let told = t0;
  const add = (o: SeedOutcome) => {
    addOutcome(t, o);
    if (a.list) listed.push(o);
  };
  const tell = () => {
    const now = performance.now();
    if (now - told < PROGRESS_EVERY_MS) return;
    told = now;
    console.error(progress(t, a.seeds, (now - t0) / 1000));
  };
  const report = (stopped: string | null) => {
    for (const o of listed.sort((x, y) => x.seed - y.seed)) console.log(formatOutcome(o));
    if (stopped) console.log(`${stopped}: the table holds the ${t.seeds} of ${a.seeds} seeds that finished`);
    console.log(formatTally(t, (performance.now() - t0) / 1000));
  };
  // A long run stopped (Ctrl-C, kill) still prints what it found.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      report(`stopped by ${signal}`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    });
  if (a.jobs > 1)
    await runSeedsInJobs(a.from, a.seeds, a.jobs, { only, digest: a.list }, (batch) => {
      for (const o of batch) add(o);
      tell();
    });
  else
    for (let seed = a.from; seed < a.from + a.seeds; seed++) {
      add(runSeedOutcome(seed, only, a.list)!);
      tell();
      await new Promise(setImmediate); // lets a signal in between seeds
    }
  report(null);
  return t.violations.length ? 1 : 0;
}

function progress(t: Tally, of: number, seconds: number): string {
  const rate = t.seeds / seconds;
  const left = Math.ceil((of - t.seeds) / rate);
  // Too few seeds for a guess at the rest: the first ranges may all be seven-node ones, or two-node.
  const eta = t.seeds < 50 ? "" : `, about ${left >= 120 ? `${Math.round(left / 60)} min` : `${left} s`} left`;
  return `sim: ${t.seeds}/${of} seeds in ${seconds.toFixed(0)} s, ${t.violations.length} violations, ${rate.toFixed(1)} seeds/s${eta}`;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 2;
  },
);
