// Rebuilding a lost log (the NATS store wiped, the stream gone or made again): each agent republishes
// what it knows, as events marked `restored`, with fresh ids (ids are unique per agent generation and
// counter, so they can never collide with what the lost log held):
//   1. its configuration (ConfigLoaded), that it is up (NodeUp of itself), whom it hears and its quorum
//      (MembershipChanged: its partition report);
//   2. each group it holds, as the fold had it (GroupRestored: state and resources);
//   3. the operator state it had folded — standby, moves, failcounts (OperatorStateRestored) — unless
//      the new log already has one: one copy, so a later duplicate cannot undo a command given since;
//   4. LogRestored, last: its share is in; the agent swaps in the new log's fold when it sees it.
// Pure: the view, ids and time are inputs.
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type VigilEvent } from "@vigil/shared/events/vocabulary";

export interface RestoreInput {
  /** The fold of the lost log, as this agent had it. */
  view: ClusterView;
  self: string;
  generation: number;
  config: EventBody<"ConfigLoaded">;
  /** This node's membership and quorum now (its partition report, which `vigil status` shows). */
  membership?: EventBody<"MembershipChanged"> & { reason: string };
  /** false when the new log already holds an OperatorStateRestored. */
  includeOperatorState: boolean;
  /** First seq of the new stream. */
  fromSeq: number;
  lostStreamCreated: string | null;
  why: string;
  nextId: () => string;
  now: number;
}

export function operatorState(v: ClusterView): EventBody<"OperatorStateRestored"> {
  const standby = [...v.nodes.values()].filter((n) => n.standby).map((n) => n.name).sort();
  const moves: Record<string, string> = {};
  const failcounts: Record<string, Record<string, Record<string, number>>> = {};
  for (const g of v.groups.values()) {
    if (g.movedTo) moves[g.id] = g.movedTo;
    for (const r of g.resources) {
      const counts = Object.fromEntries(Object.entries(r.failcounts).filter(([, n]) => n > 0));
      if (Object.keys(counts).length > 0) (failcounts[g.id] ??= {})[r.id] = counts;
    }
  }
  return { standby, moves, failcounts };
}

export function restoredEvents(i: RestoreInput): VigilEvent[] {
  const meta = (cause: string) => ({ id: i.nextId(), node: i.self, time: i.now, cause, restored: true });
  const out: VigilEvent[] = [
    makeEvent("ConfigLoaded", i.config, meta("log rebuilt: this node's configuration")),
    makeEvent("NodeUp", { peer: i.self, generation: i.generation }, meta("log rebuilt: this node is up")),
  ];
  if (i.membership) {
    const { reason, ...body } = i.membership;
    out.push(makeEvent("MembershipChanged", body, meta(`log rebuilt: ${reason}`)));
  }
  for (const g of i.view.groups.values()) {
    if (g.node !== i.self || g.state === "stopped") continue;
    const resources = Object.fromEntries(g.resources.map((r) => [r.id, r.state]));
    out.push(makeEvent("GroupRestored", { group: g.id, state: g.state, resources }, meta(`log rebuilt: ${g.id} is ${g.state} here`)));
  }
  if (i.includeOperatorState)
    out.push(makeEvent("OperatorStateRestored", operatorState(i.view), meta("log rebuilt: standby, moves and failcounts as this node had folded them")));
  out.push(
    makeEvent(
      "LogRestored",
      { fromSeq: i.fromSeq, lostThrough: i.view.lastSeq, lostStreamCreated: i.lostStreamCreated, why: i.why },
      meta(`the event log was lost (${i.why}); rebuilt from what this node knew`),
    ),
  );
  return out;
}
