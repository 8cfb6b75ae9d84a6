// Notices when the agent's main thread did not run for a while (starved of CPU, a long GC pause, a
// blocking call). Decisions, the log fold and operator commands all waited that long; the heartbeat
// and lease threads did not. A timer that fires late by more than `reportOverMs` is such a gap.
export interface MainThreadWatch {
  /** Gaps reported so far. */
  readonly stalls: number;
  stop(): void;
}

/** The gap a timer due at `dueAt` shows when it runs at `now`: null when it is within `reportOverMs`. */
export function lateBy(dueAt: number, now: number, reportOverMs: number): number | null {
  const late = now - dueAt;
  return late > reportOverMs ? Math.round(late) : null;
}

export function watchMainThread(o: { everyMs: number; reportOverMs: number; onStall: (lateMs: number) => void; now?: () => number }): MainThreadWatch {
  const now = o.now ?? (() => performance.now());
  let dueAt = now() + o.everyMs;
  let stalls = 0;
  const t = setInterval(() => {
    const at = now();
    const late = lateBy(dueAt, at, o.reportOverMs);
    dueAt = at + o.everyMs;
    if (late === null) return;
    stalls++;
    o.onStall(late);
  }, o.everyMs);
  t.unref();
  return {
    get stalls() {
      return stalls;
    },
    stop: () => clearInterval(t),
  };
}
