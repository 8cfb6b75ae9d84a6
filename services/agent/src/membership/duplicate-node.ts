// Two agents for one node: which one leaves. Pure.
//
// A starting agent listens before it announces itself (HeartbeatService listenFirstMs) and leaves on
// hearing a running agent of its name, having recorded nothing. Its probes let the running agent
// record a DuplicateNode. Should both have announced anyway (the listen heard nothing: loss, or a
// partition that healed), each heartbeat says how long its agent has announced itself (`s`), and
// the younger leaves: the agent that was there first keeps the node.
import type { SameNameAgent } from "../heartbeat/worker-protocol.js";

export type SameNameVerdict = "keep" | "leave";

export function judgeSameName(mine: { generation: number; announcedMs: number | null }, other: SameNameAgent): SameNameVerdict {
  // A probe is a newcomer still listening: it leaves by itself.
  if (other.probing) return "keep";
  // Not announced yet (between start and announce): this one is the newcomer.
  if (mine.announcedMs === null) return "leave";
  // An agent that does not say how long it has run is taken for the older one.
  if (other.announcedMs === null || other.announcedMs > mine.announcedMs) return "leave";
  if (other.announcedMs < mine.announcedMs) return "keep";
  return other.generation < mine.generation ? "leave" : "keep";
}

/** How long a starting agent listens before announcing: a few of a running agent's keepalives, so
 *  that one lost packet does not let a second agent in, but never past deadtime (by then a running
 *  agent would be dead to its peers anyway). */
export function listenBeforeAnnounceMs(t: { keepaliveMs: number; deadtimeMs: number }): number {
  return Math.min(t.deadtimeMs, Math.max(5 * t.keepaliveMs, 500));
}
