// The run's table: trials per kind, violations per invariant, the client-visible outage (median,
// max), and the closing line `chaos: N trials, N violations`. A violation is one invariant broken in
// one trial (however many times it broke there).
import { INVARIANT_TITLE, INVARIANTS, medianMax, type Invariant } from "./invariants.js";
import { replayCommand } from "./schedule.js";
import type { TrialResult } from "./trial.js";

export function violationCount(r: TrialResult): number {
  return INVARIANTS.filter((i) => (r.violations[i]?.length ?? 0) > 0).length;
}

export function violated(r: TrialResult): Invariant[] {
  return INVARIANTS.filter((i) => (r.violations[i]?.length ?? 0) > 0);
}

const ms = (x: number | undefined) => (x === undefined ? "-" : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

/** One progress line per trial. */
export function trialLine(r: TrialResult, of: number): string {
  const v = violated(r);
  const head = `[${r.index + 1}/${of}] ${r.kind} seed=${r.seed} (${r.description}): `;
  const body = r.error ? `ERROR ${r.error}` : v.length ? `VIOLATES ${v.map((i) => INVARIANT_TITLE[i]).join(", ")}` : "ok";
  const outage = r.settledOn === undefined && r.outageMs !== undefined ? `≥ ${ms(r.outageMs)} (never settled)` : ms(r.outageMs);
  const tail = `; outage ${outage}${r.overlapsMs.length ? `, two holders ${r.overlapsMs.map((x) => `${x} ms`).join(", ")}` : ""}; ${(r.durationMs / 1000).toFixed(0)} s`;
  return head + body + tail;
}

/** What broke, and the command that replays it. */
export function failureDetail(r: TrialResult): string {
  const lines: string[] = [];
  for (const i of violated(r)) for (const why of r.violations[i]!) lines.push(`    ${INVARIANT_TITLE[i]}: ${why}`);
  for (const n of r.notes) lines.push(`    note: ${n}`);
  lines.push(`    replay: ${replayCommand(r, r.short)}`);
  return lines.join("\n");
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(header), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

export function summaryTable(results: readonly TrialResult[], kinds: readonly string[]): string {
  const row = (label: string, rs: readonly TrialResult[]) => {
    const o = medianMax(rs.flatMap((r) => (r.outageMs === undefined ? [] : [r.outageMs])));
    const cells = INVARIANTS.map((i) => {
      const checkedIn = rs.filter((r) => r.violations[i] !== undefined);
      if (checkedIn.length === 0) return "-";
      return String(checkedIn.filter((r) => r.violations[i]!.length > 0).length);
    });
    // A trial that never settled measured its outage only up to the bound: its number is a floor.
    const floor = rs.some((r) => r.settledOn === undefined && r.outageMs !== undefined && r.outageMs >= (o.max ?? Infinity));
    return [label, String(rs.length), String(rs.filter((r) => r.error).length), ...cells, ms(o.median), `${floor ? "≥ " : ""}${ms(o.max)}`];
  };
  const rows = kinds.filter((k) => results.some((r) => r.kind === k)).map((k) => row(k, results.filter((r) => r.kind === k)));
  rows.push(row("all", results));
  return table(["kind", "trials", "errors", ...INVARIANTS.map((i) => INVARIANT_TITLE[i]), "outage median", "outage max"], rows);
}

export function closingLine(results: readonly TrialResult[]): string {
  const v = results.reduce((n, r) => n + violationCount(r), 0);
  const errors = results.filter((r) => r.error).length;
  return `chaos: ${results.length} trials, ${v} violations${errors ? ` (${errors} trials hit a harness error)` : ""}`;
}
