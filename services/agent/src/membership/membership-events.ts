// Turns the failure detector's per-peer transitions into log events and the membership view.
// Pure: the caller supplies ids and time through `meta`.
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";

/** The failure detector's transition, as the heartbeat worker reports it. */
export type PeerTransition = Transition;

export interface MembershipState {
  self: string;
  /** Peers currently heard (up or late: late is a warning, not a death). */
  alive: Set<string>;
}

type Meta = { id: () => string; node: string; time: number };

export function onTransition(s: MembershipState, t: PeerTransition, meta: Meta): { state: MembershipState; events: VigilEvent[] } {
  const events: VigilEvent[] = [];
  const m = (cause: string) => ({ id: meta.id(), node: meta.node, time: t.at, cause });
  const gen = t.generation ?? 0;
  if (t.restarted) {
    events.push(makeEvent("NodeRestarted", { peer: t.peer, generation: gen, previousGeneration: t.previousGeneration ?? 0 }, m(`${t.peer} came back with a new generation`)));
  }
  if (t.to === "up" && t.from === "init") {
    events.push(makeEvent("NodeUp", { peer: t.peer, generation: gen }, m(`first heartbeat from ${t.peer}`)));
  } else if (t.to === "up" && t.from === "dead") {
    events.push(makeEvent("NodeReturned", { peer: t.peer, generation: gen }, m(`heartbeats from ${t.peer} resumed after ${Math.round(t.silentMs)} ms`)));
  } else if (t.to === "late") {
    const why = t.stalled
      ? `this node was stalled (SIGSTOP, pause): ${t.peer} is out of the quorum until heard again`
      : t.unvouched
        ? `${t.peer} has not heard this node for warntime: out of the quorum until it does`
        : `no heartbeat from ${t.peer} for ${Math.round(t.silentMs)} ms (warntime)`;
    events.push(makeEvent("NodeLate", { peer: t.peer, silentMs: Math.round(t.silentMs) }, m(why)));
  } else if (t.to === "dead") {
    const silent = Math.round(t.silentMs);
    const why = t.from === "init" ? `never heard from ${t.peer} within initdead` : `no heartbeat from ${t.peer} for ${silent} ms (deadtime)`;
    events.push(makeEvent("NodeDead", { peer: t.peer, silentMs: silent }, m(why)));
  }
  const alive = new Set(s.alive);
  if (t.to === "up" || t.to === "late") alive.add(t.peer);
  else alive.delete(t.peer);
  return { state: { ...s, alive }, events };
}

export function members(s: MembershipState): string[] {
  return [s.self, ...s.alive].sort();
}

/** What the node decides about its quorum, as far as the membership events need it. */
export interface MembershipQuorum {
  onPeer(peer: string, to: PeerTransition["to"], at: number, generation?: number | null): void;
  quorumForMembership(): { has: boolean; reason: string };
}

/** A peer's liveness changed (the heartbeat worker's transition), in the agent's order: the
 *  controller hears it first, then come the membership events and, when the members changed, the
 *  MembershipChanged to record, with the quorum the controller decides by (one rule), not a count of
 *  the members heard. The agent, the simulator and the golden node cases all go through this. */
export function peerTransition(
  s: MembershipState,
  t: PeerTransition,
  controller: MembershipQuorum,
  meta: Omit<Meta, "time">,
): { state: MembershipState; events: VigilEvent[]; changed: { members: string[]; quorum: boolean; cause: string } | null } {
  controller.onPeer(t.peer, t.to, t.at, t.generation);
  const before = members(s).join(",");
  const { state, events } = onTransition(s, t, { ...meta, time: t.at });
  const now = members(state);
  if (now.join(",") === before) return { state, events, changed: null };
  const q = controller.quorumForMembership();
  return { state, events, changed: { members: now, quorum: q.has, cause: `${t.peer} is ${t.to}: ${q.reason}` } };
}
