// The thin shell around a group machine: start an actor with the agent's clock, forward its notices,
// and wait for it to settle (used on SIGTERM: STOP every group, then wait for stopped or blocked).
import { createActor, waitFor, type Actor, type SnapshotFrom } from "xstate";
import { groupMachine, type GroupMachine } from "./group-machine.js";
import type { GroupInput } from "./group-context.js";
import type { GroupNotice } from "./group-notices.js";
import { groupView, type GroupState } from "./group-view.js";
import type { Timers } from "../cluster/timers.js";

export type GroupActor = Actor<GroupMachine>;

/** XState's Clock: the real one by default, a SimulatedClock in tests and in the simulator. */
export interface GroupClock {
  setTimeout(fn: (...args: unknown[]) => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface GroupActorOptions {
  clock?: GroupClock;
  onNotice?: (notice: GroupNotice) => void;
  /** The machine with other actor implementations (`groupMachine.provide`): the simulator runs its
   *  resource actions on its own queue. */
  machine?: GroupMachine;
}

export function startGroupActor(input: GroupInput, opts: GroupActorOptions = {}): GroupActor {
  const actor = createActor(opts.machine ?? groupMachine, { input, ...(opts.clock ? { clock: opts.clock } : {}) });
  if (opts.onNotice) actor.on("*", opts.onNotice);
  actor.start();
  return actor;
}

/** States in which the group waits for a command rather than acting on its own. */
const SETTLED: readonly GroupState[] = ["started", "stopped", "failed", "blocked"];

/** The group is in one of `states`, its probe answered. */
const inState = (states: readonly GroupState[]) => (s: SnapshotFrom<GroupMachine>) => states.includes(groupView(s).state) && !s.matches("probing");

/** Resolves once the group is in one of `states` (default: any settled state). */
export function whenGroup(
  actor: GroupActor,
  states: readonly GroupState[] = SETTLED,
  opts: { timeoutMs?: number } = {},
): Promise<SnapshotFrom<GroupMachine>> {
  return waitFor(actor, inState(states), { timeout: opts.timeoutMs ?? Infinity });
}

/** whenGroup by callback, on the caller's timers: `done` gets the snapshot once the group is in one of
 *  `states`, or null after `timeoutMs`, once. No promise in between, so the simulator, whose run never
 *  yields to the microtask queue, carries it out too. */
export function onceGroup(
  actor: GroupActor,
  states: readonly GroupState[],
  timeoutMs: number,
  timers: Pick<Timers, "timeout" | "clear">,
  done: (s: SnapshotFrom<GroupMachine> | null) => void,
): void {
  const reached = inState(states);
  let over = false;
  const finish = (s: SnapshotFrom<GroupMachine> | null) => {
    if (over) return;
    over = true;
    sub?.unsubscribe();
    timers.clear(timer);
    done(s);
  };
  let sub: { unsubscribe(): void } | null = null;
  const timer = timers.timeout(() => finish(null), timeoutMs);
  if (reached(actor.getSnapshot())) return finish(actor.getSnapshot());
  sub = actor.subscribe((s) => {
    if (reached(s)) finish(s);
  });
}
