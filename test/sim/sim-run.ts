// Runs seeds for `npm run sim` and tallies them: seeds per fault kind and per scenario, violations
// per invariant, and each violation with the one command that replays it.
import { FAULT_NAMES } from "./fault-schedule.js";
import { scenarioFor } from "./scenarios.js";
import { simulate, type RunResult } from "./simulate.js";
import { commandVerb } from "./sim-commands.js";
import { LOG_INVARIANTS } from "./log-invariants.js";

export const SIM_INVARIANTS = ["one holder", "settles", ...LOG_INVARIANTS] as const;
export type SimInvariant = (typeof SIM_INVARIANTS)[number];

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
 *  once settled, the event log's invariants (log-invariants.ts, reported as "name: problem"). */
export function judgeRun(r: RunResult): { invariant: SimInvariant; detail: string }[] {
  const out: { invariant: SimInvariant; detail: string }[] = [];
  if (r.violation) out.push({ invariant: "one holder", detail: `at ${r.violation.at} ms ${r.violation.holdings.map((h) => `${h.group} on ${h.holders.join(" and ")}`).join("; ")}` });
  const by = new Map<SimInvariant, string[]>();
  for (const u of r.unsettled) {
    const name = SIM_INVARIANTS.find((i) => i !== "one holder" && i !== "settles" && u.startsWith(`${i}: `)) ?? "settles";
    by.set(name, [...(by.get(name) ?? []), name === "settles" ? u : u.slice(name.length + 2)]);
  }
  for (const [invariant, v] of by) out.push({ invariant, detail: v.slice(0, 3).join("; ") });
  return out;
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
export function runSeed(seed: number, only: { scenario?: string; nodes?: number; maxNodes?: number }): { run: RunResult; scenario: string; nodes: number } | null {
  const pick = scenarioFor(seed, only);
  if (!pick) return null;
  return { run: simulate(pick.scenario.options(pick.nodes), seed), scenario: pick.scenario.name, nodes: pick.nodes };
}

export function addRun(t: Tally, run: RunResult, scenario: string, nodes: number, ms: number): void {
  t.seeds++;
  t.events += run.events;
  const broke = judgeRun(run);
  const kinds = new Set(run.schedule.map((f) => FAULT_NAMES[f.kind]));
  if (kinds.size === 0) kinds.add("no fault");
  const verbs = new Set(run.commands.map((c) => commandVerb(c.command)));
  const rows = [...[...kinds].map((k) => row(t.byFault, k)), ...[...verbs].map((v) => row(t.byCommand, v)), row(t.byScenario, `${scenario} (${nodes} nodes)`)];
  for (const r of rows) {
    r.seeds++;
    r.ms += ms;
  }
  for (const b of broke) {
    for (const r of rows) r.violations[b.invariant]++;
    t.violations.push({ seed: run.seed, scenario, nodes, ...b, replay: replayCommand(run.seed, scenario, nodes) });
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
