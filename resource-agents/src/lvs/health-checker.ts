// keepalived's checker logic for one real server, as a pure state machine:
// step(config, state, input, now) → { state, effects }. The runner (check-runner.ts) owns the timers
// and sockets and feeds results back.
//
// keepalived's rule: a check runs every delay_loop. While the server is alive, a failed check is
// retried `retry` more times, delay_before_retry apart, before the server is declared down; a down
// server is checked every delay_loop and comes back on the first success.
export interface CheckTimingConfig {
  delayLoopMs: number;
  retry: number;
  delayBeforeRetryMs: number;
}

export interface CheckerState {
  alive: boolean;
  /** Failed attempts so far in the current run of retries. */
  failures: number;
  /** When the next check starts; null while one is in flight. */
  dueAt: number | null;
  /** What the last check said, for monitor messages. */
  lastDetail: string;
}

export type CheckerInput = { kind: "tick" } | { kind: "result"; ok: boolean; detail: string };

export type CheckerEffect =
  | { kind: "run-check" }
  | { kind: "went-down"; detail: string }
  | { kind: "came-up"; detail: string };

export interface CheckerStep {
  state: CheckerState;
  effects: CheckerEffect[];
}

/** A new checker; the first check is due at once. keepalived's `alpha` starts servers down. */
export function initChecker(now: number, alpha: boolean): CheckerState {
  return { alive: !alpha, failures: 0, dueAt: now, lastDetail: "not checked yet" };
}

export function stepChecker(cfg: CheckTimingConfig, s: CheckerState, input: CheckerInput, now: number): CheckerStep {
  if (input.kind === "tick") {
    if (s.dueAt === null || now < s.dueAt) return { state: s, effects: [] };
    return { state: { ...s, dueAt: null }, effects: [{ kind: "run-check" }] };
  }
  if (s.dueAt !== null) return { state: s, effects: [] }; // a result nobody asked for (stale): ignore
  const detail = input.detail;
  if (input.ok) {
    const state = { alive: true, failures: 0, dueAt: now + cfg.delayLoopMs, lastDetail: detail };
    return { state, effects: s.alive ? [] : [{ kind: "came-up", detail }] };
  }
  if (s.alive && s.failures < cfg.retry) {
    return { state: { ...s, failures: s.failures + 1, dueAt: now + cfg.delayBeforeRetryMs, lastDetail: detail }, effects: [] };
  }
  const state = { alive: false, failures: 0, dueAt: now + cfg.delayLoopMs, lastDetail: detail };
  return { state, effects: s.alive ? [{ kind: "went-down", detail }] : [] };
}
