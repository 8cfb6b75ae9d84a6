// A group machine on a SimulatedClock with scripted resources, for tests: records every resource call
// and every notice, and waits on snapshots (never on time) for the group to get somewhere.
import { createActor, SimulatedClock, waitFor } from "xstate";
import { groupMachine } from "./group-machine.js";
import type { GroupInput } from "./group-context.js";
import type { GroupNotice } from "./group-notices.js";
import { groupView, type GroupState } from "./group-view.js";
import { ScriptedResource, type Call } from "./scripted-resource.js";

export const START_TIMEOUT = 20_000;
export const STOP_TIMEOUT = 15_000;
export const MONITOR_TIMEOUT = 5_000;

/** A group "web" on node n1 of scripted resources; monitor intervals per resource (0 = not monitored). */
export function group(intervals: Record<string, number>, input: Partial<GroupInput> = {}) {
  const calls: Call[] = [];
  const resources = Object.entries(intervals).map(
    ([id, every]) =>
      new ScriptedResource(id, calls, {
        timeouts: { start: START_TIMEOUT, stop: STOP_TIMEOUT, monitor: MONITOR_TIMEOUT },
        monitorIntervalMs: every,
      }),
  );
  const clock = new SimulatedClock();
  const notices: GroupNotice[] = [];
  const actor = createActor(groupMachine, { input: { group: "web", node: "n1", resources, ...input }, clock });
  actor.on("*", (n) => notices.push(n));
  actor.start();
  const res = Object.fromEntries(resources.map((r) => [r.id, r]));
  const view = () => groupView(actor.getSnapshot());
  /** Waits (on snapshots, not on time) until the condition holds; fails the test after 2 s of real time. */
  const until = (cond: () => boolean) => waitFor(actor, () => cond(), { timeout: 2_000 });
  const settledIn = (state: GroupState) => until(() => view().state === state && !actor.getSnapshot().matches("probing"));
  const ops = () => calls.map((c) => `${c.op} ${c.resource}`);
  const types = () => notices.map((n) => ("resource" in n ? `${n.type} ${n.resource}` : n.type));
  return { actor, clock, calls, res, notices, view, until, settledIn, ops, types };
}

/** Lets settled promises run their continuations; for asserting that nothing (more) happened. */
export async function flush() {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

export type TestGroup = ReturnType<typeof group>;

/** Starts the group and forgets the calls and notices of the start. */
export async function started(g: TestGroup) {
  g.actor.send({ type: "START" });
  await g.settledIn("started");
  g.calls.length = 0;
  g.notices.length = 0;
}
