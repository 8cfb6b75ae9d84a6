// One life of an agent's main thread, as timers: its setImmediate, setTimeout and setInterval (the
// controller's, the ping witness's, the agent's tick) and the group machines' clock (xstate's timers)
// become events of the simulator's queue. `arm` schedules `fire(id)` after `ms` (0 for an immediate,
// which the simulator runs after what is already due: Node runs setImmediate after timers and I/O).
import type { GroupClock } from "@vigil/agent/groups/group-actor";
import type { TimerId, Timers } from "@vigil/agent/cluster/timers";

export type TimerKind = "immediate" | "timer";

export class SimTimers implements Timers, GroupClock {
  private last = 0;
  private readonly armed = new Map<number, { fn: () => void; every: number | null }>();
  constructor(private readonly arm: (kind: TimerKind, ms: number, id: number) => void) {}

  immediate(fn: () => void): void {
    this.add("immediate", fn, 0, null);
  }
  timeout(fn: () => void, ms: number): TimerId {
    return this.add("timer", fn, ms, null);
  }
  interval(fn: () => void, ms: number): TimerId {
    return this.add("timer", fn, ms, ms);
  }
  clear(id: TimerId): void {
    this.armed.delete(id as number);
  }
  // GroupClock
  setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    return this.add("timer", fn, ms, null);
  }
  clearTimeout(id: unknown): void {
    this.armed.delete(id as number);
  }

  /** A timer came due (a cleared one does nothing); an interval is armed again first. */
  fire(id: number): void {
    const t = this.armed.get(id);
    if (!t) return;
    if (t.every === null) this.armed.delete(id);
    else this.arm("timer", t.every, id);
    t.fn();
  }

  private add(kind: TimerKind, fn: () => void, ms: number, every: number | null): number {
    const id = ++this.last;
    this.armed.set(id, { fn, every });
    this.arm(kind, Math.max(0, ms), id);
    return id;
  }
}
