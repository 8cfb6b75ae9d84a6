// `npm run sim`: seeded fault schedules on simulated clusters running the production node code; a
// table of seeds per fault kind and scenario, violations per invariant, each with its replay.
import { parseSimArgs } from "./sim-args.js";
import { addRun, emptyTally, formatTally, judgeRun, runSeed } from "./sim-run.js";
import { describeRun } from "./simulate.js";

function main(): number {
  let a;
  try {
    a = parseSimArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const only = { ...(a.scenario ? { scenario: a.scenario } : {}), ...(a.nodes ? { nodes: a.nodes } : {}) };
  if (a.seed !== undefined) {
    const r = runSeed(a.seed, only);
    if (!r) return (console.error(`sim: no scenario has ${a.nodes} nodes`), 2);
    console.log(`seed ${a.seed}: ${r.scenario}, ${r.nodes} nodes\n${describeRun(r.run, 400)}`);
    const broke = judgeRun(r.run);
    for (const b of broke) console.log(`broke "${b.invariant}": ${b.detail}`);
    console.log(`1 seeds, ${broke.length} violations`);
    return broke.length ? 1 : 0;
  }
  const t = emptyTally();
  const t0 = performance.now();
  let told = t0;
  for (let seed = a.from; seed < a.from + a.seeds; seed++) {
    const s0 = performance.now();
    const r = runSeed(seed, only);
    if (!r) return (console.error(`sim: no scenario has ${a.nodes} nodes`), 2);
    addRun(t, r.run, r.scenario, r.nodes, performance.now() - s0);
    if (performance.now() - told > 5_000) {
      told = performance.now();
      console.error(`sim: ${t.seeds}/${a.seeds} seeds, ${t.violations.length} violations, ${((told - t0) / 1000).toFixed(0)} s`);
    }
  }
  console.log(formatTally(t, (performance.now() - t0) / 1000));
  return t.violations.length ? 1 : 0;
}

process.exitCode = main();
