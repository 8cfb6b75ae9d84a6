// `npm run chaos`: fault trials on the namespace lab, each on a fresh cluster, the invariants checked
// after each; one progress line per trial, then the table and `chaos: N trials, N violations`.
// Exit 0 only with no violation and no harness error. Long runs: run it in the background with a
// log file (docs/reliability.md). Ctrl-C tears the current lab down (the lab's exit hook).
import { appendFileSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import { parseArgs } from "./args.js";
import { KIND_NAMES } from "./kinds.js";
import { rootNftTables } from "./lab-checks.js";
import { closingLine, failureDetail, summaryTable, trialLine, violationCount } from "./report.js";
import { planTrials } from "./schedule.js";
import { fenceWindowMs } from "@vigil/shared/config/derived-timing";
import { runTrial, CHAOS_TIMING, MONITOR_PRECISION_MS, type TrialResult } from "./trial.js";

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), () => randomInt(0, 2 ** 31));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const plan = planTrials(args.seed, args.kinds, args.trials);
  const t = CHAOS_TIMING;
  console.log(
    `chaos: ${plan.length} trials of ${[...new Set(plan.map((p) => p.kind))].join(", ")}; seed ${args.seed}${args.short ? "; short durations" : ""}; ` +
      `keepalive ${t.keepaliveMs}ms, deadtime ${t.deadtimeMs}ms; fence window ${args.fenceWindowMs === undefined ? `${fenceWindowMs(t)} ms + ${MONITOR_PRECISION_MS} ms in agent-only kinds, 0 elsewhere` : `${args.fenceWindowMs} ms`}`,
  );
  if (args.out) writeFileSync(args.out, "");
  const nftBefore = await rootNftTables();
  const results: TrialResult[] = [];
  for (const p of plan) {
    const r = await runTrial(p, { short: args.short, ...(args.fenceWindowMs !== undefined ? { fenceWindowMs: args.fenceWindowMs } : {}), progress: (l) => console.log(l) });
    results.push(r);
    console.log(trialLine(r, plan.length));
    if (r.error || violationCount(r) > 0) console.log(failureDetail(r));
    if (args.out) appendFileSync(args.out, JSON.stringify(r) + "\n");
  }
  const nftAfter = await rootNftTables();
  console.log("");
  console.log(summaryTable(results, KIND_NAMES));
  console.log("(violations: trials in which the invariant broke; '-': not checked for that kind; outage: client-visible, fault start to settled; ≥: that trial never settled, the outage ran at least that long)");
  if (nftAfter !== nftBefore) console.log(`the root namespace's nft tables changed during the run:\nbefore: ${nftBefore}\nafter: ${nftAfter}`);
  console.log(closingLine(results));
  const bad = results.some((r) => r.error || violationCount(r) > 0) || nftAfter !== nftBefore;
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
