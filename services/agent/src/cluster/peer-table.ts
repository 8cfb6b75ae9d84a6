// This node's record of its peers, updated from the heartbeat worker's reports. Pure updates in
// place, by the controller.
import { isHeartbeatPayload } from "./heartbeat-payload.js";
import type { PeerInfo, PeerLiveness } from "./placement-view.js";

/** A detector transition. Returns false for a node that is not a configured peer. */
export function notePeerLiveness(peers: Map<string, PeerInfo>, peer: string, liveness: PeerLiveness, at: number, generation: number | null): boolean {
  const p = peers.get(peer);
  if (!p) return false;
  if (generation !== null) p.generation = generation;
  if (liveness === "up" && p.liveness !== "up" && p.liveness !== "late") p.upSince = at;
  // Heard again: whatever fence it had, it is back and speaks for itself.
  if (liveness === "up") p.fenced = false;
  p.liveness = liveness;
  return true;
}

/** A peer's new payload. Returns false when it is not believed (unknown peer, malformed). */
export function notePeerPayload(peers: Map<string, PeerInfo>, peer: string, payload: unknown): boolean {
  const p = peers.get(peer);
  if (!p || !isHeartbeatPayload(payload)) return false;
  p.payload = payload;
  // A peer fenced someone: learn it now rather than from the log.
  for (const f of payload.f ?? []) {
    const victim = peers.get(f.n);
    if (victim && !victim.fenced && victim.liveness !== "up" && (f.g === null || f.g === victim.generation)) victim.fenced = true;
  }
  return true;
}
