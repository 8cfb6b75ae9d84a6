// Each node's own account of its copy of a group, so the fold does not depend on how the agents'
// streams interleave. The log orders events as their publishes reached the stream leader, not as
// things happened: an agent whose publishes waited out a stream-leader election lands its
// failover's start and its failback's stop *after* the preferred node's restart of the group, and
// folded in log order that late stop left the group "stopped" while the preferred node held it
// (chaos `leader-kill-link`). One node's own events are in its order (one outbox, published one at
// a time), so its latest word about its copy is true whatever the interleaving: when the group's
// holder stops, another live node whose copy still runs holds the group. Pure; the fold
// (cluster-view.ts) keeps the records in place.
import type { GroupState, GroupView, ResourceState } from "./cluster-view.js";

export interface GroupCopy {
  /** As the node's own latest group event said; a stopped copy is no record at all. */
  state: Exclude<GroupState, "stopped">;
  /** Its resources as its own events left them (absent: stopped). */
  resources: Record<string, ResourceState>;
  /** Seq of its latest event about the copy. */
  seq: number;
}

/** The node's latest group event: a copy running, starting, stopping or blocked there, or gone. */
export function noteCopyState(g: GroupView, node: string, state: GroupState, seq: number): void {
  if (state === "stopped") {
    delete g.copies[node];
    return;
  }
  const c = g.copies[node];
  if (c) Object.assign(c, { state, seq });
  else g.copies[node] = { state, resources: {}, seq };
}

/** The node's own resource event; a resource outside a copy (a probe, a failed start already
 *  stopped) changes no copy. */
export function noteCopyResource(g: GroupView, node: string, resource: string, state: ResourceState, seq: number): void {
  const c = g.copies[node];
  if (!c) return;
  c.resources[resource] = state;
  c.seq = seq;
}

/** A node's agent started again, stopped, or was fenced: it holds no copy of anything. */
export function dropCopiesOf(groups: Iterable<GroupView>, node: string): void {
  for (const g of groups) delete g.copies[node];
}

/** Cleanup: a failed resource in any copy is stopped (the fold's own rule for the group's resources). */
export function clearCopyFailures(g: GroupView): void {
  for (const c of Object.values(g.copies)) for (const [id, st] of Object.entries(c.resources)) if (st === "failed") c.resources[id] = "stopped";
}

/** The group's resources as its holder's copy has them: another node's resource events, folded
 *  while that node briefly held the group in the log's order, do not stay on the holder's. A
 *  resource the copy never reported is stopped, or failed as it was. */
export function showHolderCopy(g: GroupView): void {
  const c = g.node === null ? undefined : g.copies[g.node];
  if (!c) return;
  for (const r of g.resources) r.state = c.resources[r.id] ?? (r.state === "failed" ? "failed" : "stopped");
}

/** A group the fold has on no node, while a live node's own account says its copy runs: that node
 *  holds it (the newest such account when several do). Returns whether the group changed. */
export function holdByLiveCopy(g: GroupView, alive: (node: string) => boolean): boolean {
  if (g.node !== null || g.state !== "stopped") return false;
  let best: [string, GroupCopy] | undefined;
  for (const [node, c] of Object.entries(g.copies)) if (alive(node) && (!best || c.seq > best[1].seq)) best = [node, c];
  if (!best) return false;
  const [node, c] = best;
  g.node = node;
  g.state = c.state;
  showHolderCopy(g);
  return true;
}
