// Expected effects against the ones a case's run produced, and the message a reviewer reads when
// they differ: each expectation not met (with what happened instead), each forbidden effect that
// happened, then the run's trace.
import type { Effect, CaseRun } from "./run-node-case.js";
import type { EffectKind, Expectation } from "./node-case.js";

const KINDS: readonly EffectKind[] = ["sees", "quorum", "start", "stop", "started", "stopped", "blocked", "fence", "record", "send", "logs"];

export function kindOf(x: Expectation): EffectKind {
  return KINDS.find((k) => x[k] !== undefined)!;
}

/** The expectation in the case file's words: "at 1051: stop web". */
export function describeExpectation(x: Expectation): string {
  const when = x.at !== undefined ? `at ${x.at}` : [x.after !== undefined ? `after ${x.after}` : "", x.by !== undefined ? `by ${x.by}` : ""].filter(Boolean).join(" and ") || "at any time";
  const k = kindOf(x);
  const v = x[k];
  return `${when}: ${k} ${typeof v === "string" ? v : JSON.stringify(v)}`;
}

const inWindow = (x: Expectation, at: number) => (x.at === undefined || at === x.at) && (x.by === undefined || at <= x.by) && (x.after === undefined || at > x.after);

/** Does the effect say what the expectation says (time aside)? */
export function sameEffect(x: Expectation, e: Effect): boolean {
  const k = kindOf(x);
  if (e.kind !== k) return false;
  switch (k) {
    case "sees": {
      const [peer, to] = Object.entries(x.sees!)[0]!;
      const v = e.value as { peer: string; to: string };
      return v.peer === peer && v.to === to;
    }
    case "record":
      return typeof x.record === "string" ? (e.value as { type: string }).type === x.record : like(x.record, e.value);
    case "send":
      return like(x.send, e.value);
    case "logs":
      return (e.value as string).includes(x.logs!);
    default:
      return e.value === x[k];
  }
}

/** `expected`'s fields are in `actual` with equal values; lists compare as sets. */
function like(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    const rest = [...actual];
    return expected.every((x) => {
      const i = rest.findIndex((y) => like(x, y) && like(y, x));
      return i >= 0 && rest.splice(i, 1).length === 1;
    });
  }
  if (expected !== null && typeof expected === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => like(v, (actual as Record<string, unknown>)[k]));
  }
  return expected === actual;
}

/** Every difference between the case and its run, as lines; empty when the case holds. */
export function caseProblems(expect: readonly Expectation[], never: readonly Expectation[], run: CaseRun): string[] {
  const problems: string[] = [];
  for (const x of expect) {
    if (run.effects.some((e) => sameEffect(x, e) && inWindow(x, e.at))) continue;
    const elsewhere = run.effects.filter((e) => sameEffect(x, e)).map((e) => e.at);
    const instead = elsewhere.length ? `it happened at ${elsewhere.slice(0, 5).join(", ")} ms` : nearest(x, run.effects);
    problems.push(`expected ${describeExpectation(x)} — ${instead}`);
  }
  for (const x of never) {
    const hit = run.effects.find((e) => sameEffect(x, e) && inWindow(x, e.at));
    if (hit) problems.push(`must not happen ${describeExpectation(x)} — it did at ${hit.at} ms: ${hit.text}`);
  }
  return problems;
}

/** What the node did of that kind, for an expectation that never matched. */
function nearest(x: Expectation, effects: readonly Effect[]): string {
  const k = kindOf(x);
  const same = effects.filter((e) => e.kind === k);
  if (same.length === 0) return `no ${k} effect at all`;
  return `never; the ${k} effects were: ${same
    .slice(0, 6)
    .map((e) => `${e.at}: ${e.text}`)
    .join(" | ")}${same.length > 6 ? ` (+${same.length - 6})` : ""}`;
}

/** The failure message: the problems, then the trace (its inputs `<`, its effects `>`). */
export function failureMessage(file: string, problems: readonly string[], run: CaseRun, traceLines = 120): string {
  const trace = run.trace.length > traceLines ? [...run.trace.slice(0, traceLines), `  … ${run.trace.length - traceLines} more lines`] : run.trace;
  return [`${file}: ${problems.length} difference(s) between the case and the production code's run:`, ...problems.map((p) => `  ✗ ${p}`), "trace (ms, < input, > effect):", ...trace.map((l) => `  ${l}`)].join("\n");
}
