// This node's record of its peers, updated from the heartbeat worker's reports. Pure updates in
// place, by the controller.
import type { NodeReport } from "@vigil/shared/heartbeat/node-report";
import { isHeard, type PeerLiveness } from "@vigil/shared/states";
import type { PeerInfo } from "./placement-view.js";

/** A detector transition. Returns false for a node that is not a configured peer. */
export function notePeerLiveness(peers: Map<string, PeerInfo>, peer: string, liveness: PeerLiveness, at: number, generation: number | null): boolean {
  const p = peers.get(peer);
  if (!p) return false;
  if (generation !== null) p.generation = generation;
  if (liveness === "up" && !isHeard(p.liveness)) p.upSince = at;
  // Heard again: whatever fence it had, it is back and speaks for itself.
  if (liveness === "up") p.fenced = false;
  p.liveness = liveness;
  return true;
}

/** A peer's new report, decoded at the edge (admit.ts: one that does not decode never gets here);
 *  null: it sends none (a restarted agent, until its groups are known). Returns false when nothing
 *  changed. */
export function notePeerPayload(peers: Map<string, PeerInfo>, peer: string, report: NodeReport | null): boolean {
  const p = peers.get(peer);
  if (!p) return false;
  // A restarted peer's first packets say nothing yet: what its earlier life said (its "no quorum",
  // what it held) is not its word any more. Kept, it made a peer take a rebooted node's group while
  // that node started it too (sim seed 525, 4 nodes).
  if (report === null) {
    const had = p.report !== null;
    p.report = null;
    return had;
  }
  p.report = report;
  // A peer fenced someone: learn it now rather than from the log.
  for (const f of report.fenced) {
    const victim = peers.get(f.node);
    if (victim && !victim.fenced && victim.liveness !== "up" && (f.generation === null || f.generation === victim.generation)) victim.fenced = true;
  }
  return true;
}
