// heartbeat's time syntax (HeartbeatTimeSyntax, get_msec in heartbeat's config.c): a bare number is
// seconds and may have decimals (`0.5`), `ms`/`msec` means milliseconds, `us`/`usec` microseconds.
// The result is rounded to the nearest millisecond, as heartbeat does.

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

const DURATION = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|msec|us|usec)?$/i;

/** Parse a heartbeat time value into milliseconds. */
export function parseDuration(text: string): DurationResult {
  const m = DURATION.exec(text.trim());
  if (!m || m[1] === undefined) {
    return { ok: false, message: `"${text}" is not a time (seconds, or milliseconds with "ms": 2, 0.5, 500ms)` };
  }
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const ms = unit === "" ? n * 1000 : unit.startsWith("m") ? n : n / 1000;
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    return { ok: false, message: `"${text}" is too large` };
  }
  return { ok: true, ms: Math.round(ms) };
}

/** Render milliseconds the way an operator would write them (`2s`, `250ms`). */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
