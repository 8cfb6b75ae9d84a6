// Durations on the command line: `--timeout 30s`, `--since 10m`. One syntax for every flag:
// a whole or decimal number with ms, s, m, h or d; a bare number means seconds where the flag says so.
import { CliError } from "./cli-context.js";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** Milliseconds, or null when `text` is not a duration. A bare number is seconds only when `bareSeconds`. */
export function parseCliDuration(text: string, o: { bareSeconds: boolean }): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  if (m[2] === undefined && !o.bareSeconds) return null;
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? "s") as keyof typeof UNIT_MS];
  return Number.isFinite(ms) && ms <= 365 * UNIT_MS.d ? Math.round(ms) : null;
}

/** `--timeout`: 30 (seconds), 30s, 500ms, 2m. Default 30 s. */
export function parseTimeout(text: string | undefined): number {
  if (text === undefined) return 30_000;
  const ms = parseCliDuration(text, { bareSeconds: true });
  if (ms === null || ms <= 0) throw new CliError(`--timeout: "${text}" is not a duration (30, 30s, 500ms, 2m)`, 2);
  return ms;
}

/** How a duration reads back to the operator: 30 s, 500 ms, 2 min. */
export function describeMs(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1_000} s`;
}
