// What a node says about itself in every heartbeat, built from its groups and its view of its peers.
// Pure, so the controller and the simulator (test/sim) build it the same way.
import type { GroupState } from "../groups/group-view.js";
import type { HeartbeatPayload, PeerInfo } from "./placement-view.js";

/** `r` groups held here, `b` blocked here, `u` peers up (vouched for: mutual quorum), `h` peers up or
 *  late (heard at all), `v` what each of `h` holds by its own last payload, `f` whom this node fenced,
 *  `nq` this node has no quorum. */
export function buildHeartbeatPayload(
  groups: Iterable<[string, GroupState]>,
  peers: ReadonlyMap<string, PeerInfo>,
  fencedByMe: HeartbeatPayload["f"] = [],
  /** This node's last decision found no quorum: said as `nq`. */
  noQuorum = false,
): HeartbeatPayload {
  const r: string[] = [];
  const b: string[] = [];
  for (const [id, s] of groups) {
    if (s === "blocked") b.push(id);
    else if (s === "started" || s === "starting" || s === "stopping") r.push(id);
  }
  const u: string[] = [];
  const h: string[] = [];
  const v: Record<string, string[]> = {};
  for (const [n, p] of peers) {
    if (p.liveness === "up") u.push(n);
    if (p.liveness === "up" || p.liveness === "late") {
      h.push(n);
      if (p.payload?.r.length) v[n] = p.payload.r;
    }
  }
  return { r, b, u, h, v, ...(fencedByMe.length ? { f: fencedByMe } : {}), ...(noQuorum ? { nq: true as const } : {}) };
}

/** A peer's payload as received: only a well-formed one is believed. */
export function isHeartbeatPayload(p: unknown): p is HeartbeatPayload {
  const o = p as HeartbeatPayload;
  return !!o && Array.isArray(o.r) && Array.isArray(o.b) && o.r.every((x) => typeof x === "string") && o.b.every((x) => typeof x === "string");
}
