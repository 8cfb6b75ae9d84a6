// The timers the main thread's deciding shells use (the controller, the ping witness): Node's in the
// agent; the simulator in test/sim passes its event queue's, so the same code runs in virtual time
// and in a replayable order.
export type TimerId = unknown;

export interface Timers {
  /** setImmediate: after the I/O and timers already due now. */
  immediate(fn: () => void): void;
  /** setTimeout. Neither kind keeps the process alive on its own (unref). */
  timeout(fn: () => void, ms: number): TimerId;
  /** setInterval. */
  interval(fn: () => void, ms: number): TimerId;
  clear(id: TimerId): void;
}

export const nodeTimers: Timers = {
  immediate: (fn) => void setImmediate(fn),
  timeout: (fn, ms) => setTimeout(fn, ms).unref(),
  interval: (fn, ms) => setInterval(fn, ms).unref(),
  clear: (id) => clearTimeout(id as NodeJS.Timeout),
};
