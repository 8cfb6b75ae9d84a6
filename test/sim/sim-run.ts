// Runs seeds for `npm run sim` and tallies them: seeds per fault kind and per scenario, violations
// per invariant, and each violation with the one command that replays it.
import { createHash } from "node:crypto";
import { FAULT_NAMES } from "./fault-schedule.js";
import { scenarioFor } from "./scenarios.js";
import { simulate, type RunResult } from "./simulate.js";
import { commandVerb } from "./sim-commands.js";
import { SIM_INVARIANTS, type SimInvariant } from "./invariants.js";

export { SIM_INVARIANTS, type SimInvariant } from "./invariants.js";

export interface Violation {
  seed: number;
  scenario: string;
  nodes: number;
  invariant: SimInvariant;
  detail: string;
  replay: string;
}

interface Row {
  seeds: number;
  /** Run time of its seeds, ms. */
  ms: number;
  violations: Record<SimInvariant, number>;
}

export interface Tally {
  seeds: number;
  events: number;
  byFault: Map<string, Row>;
  /** Seeds in which the operator ran each command (its CLI verb). */
  byCommand: Map<string, Row>;
  byScenario: Map<string, Row>;
  violations: Violation[];
}

/** What a run broke: one holder at every instant; every group settled on the policy's node; and,
 *  once settled, the event log's invariants (log-invariants.ts). One entry per invariant broken,
 *  with its first three problems. */
export function judgeRun(r: RunResult): { invariant: SimInvariant; detail: string }[] {
  const out: { invariant: SimInvariant; detail: string }[] = [];
  if (r.violation) out.push({ invariant: "one holder", detail: `at ${r.violation.at} ms ${r.violation.holdings.map((h) => `${h.group} on ${h.holders.join(" and ")}`).join("; ")}` });
  const by = new Map<SimInvariant, string[]>();
  for (const p of r.unsettled) by.set(p.invariant, [...(by.get(p.invariant) ?? []), p.message]);
  for (const [invariant, v] of by) out.push({ invariant, detail: v.slice(0, 3).join("; ") });
  return out;
}

/** Which scenarios and cluster sizes a run of seeds draws from (scenarios.ts scenarioFor). */
export interface Narrowing {
  scenario?: string;
  nodes?: number;
  maxNodes?: number;
}

export const replayCommand = (seed: number, scenario: string, nodes: number) => `npm run sim -- --seed ${seed} --scenario ${scenario} --nodes ${nodes}`;

export function emptyTally(): Tally {
  return { seeds: 0, events: 0, byFault: new Map(), byCommand: new Map(), byScenario: new Map(), violations: [] };
}

const row = (m: Map<string, Row>, key: string): Row => {
  let r = m.get(key);
  if (!r) m.set(key, (r = { seeds: 0, ms: 0, violations: Object.fromEntries(SIM_INVARIANTS.map((i) => [i, 0])) as Record<SimInvariant, number> }));
  return r;
};

/** Runs one seed as `npm run sim` draws it; null when no scenario fits the narrowing. */
export function runSeed(seed: number, only: Narrowing): { run: RunResult; scenario: string; nodes: number } | null {
  const pick = scenarioFor(seed, only);
  if (!pick) return null;
  return { run: simulate(pick.scenario.options(pick.nodes), seed), scenario: pick.scenario.name, nodes: pick.nodes };
}

/** What the table keeps of one seed's run: small and plain, so a child process can send it back. */
export interface SeedOutcome {
  seed: number;
  scenario: string;
  nodes: number;
  events: number;
  /** The fault kinds of its schedule, as the table names them ("no fault" when none). */
  faults: string[];
  /** The operator's commands it ran (CLI verbs). */
  verbs: string[];
  broke: { invariant: SimInvariant; detail: string }[];
  /** Its run time, ms. */
  ms: number;
  /** A hash of everything the run did (trace, records, notices, end state, commands, verdict), when
   *  asked for (`--list`): two builds that give every seed the same digest behave the same. */
  digest?: string;
}

export function seedOutcome(run: RunResult, scenario: string, nodes: number, ms: number, digest = false): SeedOutcome {
  const faults = [...new Set(run.schedule.map((f) => FAULT_NAMES[f.kind]))];
  return {
    seed: run.seed,
    scenario,
    nodes,
    events: run.events,
    faults: faults.length ? faults : ["no fault"],
    verbs: [...new Set(run.commands.map((c) => commandVerb(c.command)))],
    broke: judgeRun(run),
    ms,
    ...(digest ? { digest: runDigest(run) } : {}),
  };
}

function runDigest(r: RunResult): string {
  const h = createHash("sha1");
  for (const part of [r.trace, r.records, r.notices, r.groups, r.commands, r.violation, r.unsettled, r.endedAt, r.events]) h.update(JSON.stringify(part) ?? "");
  return h.digest("hex").slice(0, 16);
}

/** One seed's outcome as one line (`--list`). */
export function formatOutcome(o: SeedOutcome): string {
  const verdict = o.broke.length ? o.broke.map((b) => `broke "${b.invariant}": ${b.detail}`).join("; ") : "ok";
  return `seed ${o.seed} ${o.scenario} ${o.nodes} nodes, ${o.events} events${o.digest ? `, digest ${o.digest}` : ""}: ${verdict}`;
}

/** Runs seed `seed` as `npm run sim` draws it, timed; null when no scenario fits the narrowing. */
export function runSeedOutcome(seed: number, only: Narrowing, digest = false): SeedOutcome | null {
  const t0 = performance.now();
  const r = runSeed(seed, only);
  return r && seedOutcome(r.run, r.scenario, r.nodes, performance.now() - t0, digest);
}

/** Counts one seed in; violations stay in seed order whatever order the seeds come in. */
export function addOutcome(t: Tally, o: SeedOutcome): void {
  t.seeds++;
  t.events += o.events;
  const rows = [...o.faults.map((k) => row(t.byFault, k)), ...o.verbs.map((v) => row(t.byCommand, v)), row(t.byScenario, `${o.scenario} (${o.nodes} nodes)`)];
  for (const r of rows) {
    r.seeds++;
    r.ms += o.ms;
  }
  for (const b of o.broke) {
    for (const r of rows) r.violations[b.invariant]++;
    const v = { seed: o.seed, scenario: o.scenario, nodes: o.nodes, ...b, replay: replayCommand(o.seed, o.scenario, o.nodes) };
    let i = t.violations.length;
    while (i > 0 && t.violations[i - 1]!.seed > o.seed) i--;
    t.violations.splice(i, 0, v);
  }
}

/** The table, ending with the one line `N seeds, N violations`. */
export function formatTally(t: Tally, seconds: number): string {
  const head = (first: string) => [first.padEnd(36), "seeds".padStart(7), ...SIM_INVARIANTS.map((i) => i.padStart(i.length + 2)), "ms/seed".padStart(9)].join("");
  const line = (name: string, r: Row) =>
    [name.padEnd(36), String(r.seeds).padStart(7), ...SIM_INVARIANTS.map((i) => String(r.violations[i]).padStart(i.length + 2)), (r.ms / r.seeds).toFixed(0).padStart(9)].join("");
  const sorted = (m: Map<string, Row>) => [...m].sort(([a], [b]) => a.localeCompare(b));
  const out = [head("fault"), ...sorted(t.byFault).map(([k, r]) => line(k, r)), ""];
  if (t.byCommand.size) out.push(head("command (vigil …, --wait)"), ...sorted(t.byCommand).map(([k, r]) => line(k, r)), "");
  out.push(head("scenario"), ...sorted(t.byScenario).map(([k, r]) => line(k, r)), "");
  for (const v of t.violations.slice(0, 20)) out.push(`seed ${v.seed} (${v.scenario}, ${v.nodes} nodes) broke "${v.invariant}": ${v.detail}\n  replay: ${v.replay}`);
  if (t.violations.length > 20) out.push(`… and ${t.violations.length - 20} more`);
  const rate = seconds > 0 ? ` in ${seconds.toFixed(1)} s (${(t.seeds / seconds).toFixed(1)} seeds/s, ${Math.round(t.events / seconds)} events/s)` : "";
  out.push(`sim: ${t.seeds} seeds${rate}`);
  out.push(`${t.seeds} seeds, ${t.violations.length} violations`);
  return out.join("\n");
}
