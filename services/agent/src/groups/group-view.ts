// The operator's view of one group machine, for `vigil status` (crm_mon's group and resource states).
import type { SnapshotFrom } from "xstate";
import type { GroupMachine } from "./group-machine.js";
import type { GroupState, ResourceState } from "@vigil/shared/states";

export type { GroupState } from "@vigil/shared/states";

export interface GroupView {
  state: GroupState;
  resources: { id: string; state: ResourceState; failcount: number }[];
}

export function groupView(snapshot: SnapshotFrom<GroupMachine>): GroupView {
  return {
    state: groupState(snapshot),
    resources: snapshot.context.slots.map((s) => ({ id: s.id, state: s.state, failcount: s.failcount })),
  };
}

/** Each snapshot's state, worked out once: a snapshot never changes (xstate makes a new one per
 *  transition), and the controller asks for every machine's state at every decision and payload. */
const stateOf = new WeakMap<SnapshotFrom<GroupMachine>, GroupState>();

function groupState(snapshot: SnapshotFrom<GroupMachine>): GroupState {
  let s = stateOf.get(snapshot);
  if (s === undefined) stateOf.set(snapshot, (s = stateOfSnapshot(snapshot)));
  return s;
}

function stateOfSnapshot(snapshot: SnapshotFrom<GroupMachine>): GroupState {
  if (snapshot.matches("running")) return "started";
  if (snapshot.matches("starting")) return "starting";
  if (snapshot.matches("stopping")) return "stopping";
  if (snapshot.matches("failed")) return "failed";
  if (snapshot.matches("blocked")) return "blocked";
  // A probe has not acted yet: it is on its way to running when placement wants the group here.
  if (snapshot.matches("probing")) return snapshot.context.probeRun ? "starting" : "stopped";
  return "stopped";
}
