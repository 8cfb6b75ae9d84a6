// Whether a start may go ahead on what this node knows (docs/architecture.md, "Starts rest on what the
// nodes agree on"). Every node decides for itself, so a start is safe only where every node that might
// start the same group decides from the same inputs and comes to the same choice. Two checks, each on
// what the peers' heartbeats say (node-report.ts). Pure.
//
// 1. Folds. The log-derived inputs (standby, moves, failcounts) reach each node when its own fold has
//    them. Every heartbeat says how far its fold of them goes (`inputsSeq`: ClusterView.inputsSeq) and
//    the farthest it has heard of (`heardInputsSeq`). A node whose fold is behind one it has heard of
//    starts nothing: it would be deciding from inputs another node knows to be out of date (sim seed
//    142: a node whose log reader hung had not folded the standby of itself).
// 2. Choices. A group no node holds is started only by the node that every peer able to start it names
//    for it (each heartbeat carries where its node places every group no node holds). The choice rests
//    on loads that each node learns at a different moment (its own the moment its own stop ends, its
//    peers' a heartbeat later), so two nodes could each be the least loaded in their own eyes (seed 277
//    at 4 nodes). A peer that says it has no quorum or that its fold is behind starts nothing, and to
//    start later would need this node's word: it is not waited for.
// 3. Probes. A group a live peer has not probed yet (its agent has just started; a kill -9 of the last
//    one leaves addresses and mounts in place) starts nowhere else until that probe has answered: the
//    peer's report then says whether it holds the group (sim: an agent restarted while an operator's
//    move of its group to another node waited; the other node started it beside the left address).
import { isHeard } from "@vigil/shared/states";
import type { NodeReport } from "@vigil/shared/heartbeat/node-report";
import type { PeerInfo } from "./placement-view.js";

/** The farthest fold of the placement inputs this node has heard of: its own or a heard peer's. Not the
 *  peers' own farthest heard: passed on, a value would echo between nodes after its source dropped it
 *  (a fold rebuilt from a new stream starts its seqs again). */
export function highestHeard(own: number, peers: ReadonlyMap<string, PeerInfo>): number {
  let h = own;
  for (const p of peers.values()) if (isHeard(p.liveness) && p.report?.inputsSeq != null) h = Math.max(h, p.report.inputsSeq);
  return h;
}

/** A peer's report that says its fold is behind one it has heard of. */
const saysBehind = (r: NodeReport) => r.inputsSeq !== null && r.heardInputsSeq !== null && r.heardInputsSeq > r.inputsSeq;

/** Null when no live peer has folded, or heard of, placement inputs this node's fold lacks; otherwise
 *  why its starts wait. `peers` as the decision sees them (effective); a peer whose report does not
 *  say (an older agent, or one only relayed by others) is not compared. */
export function foldBehind(own: number, peers: ReadonlyMap<string, PeerInfo>): string | null {
  for (const [n, p] of peers) {
    const r = p.report;
    if (!isHeard(p.liveness) || r?.inputsSeq == null) continue;
    const heard = Math.max(r.inputsSeq, r.heardInputsSeq ?? 0);
    if (heard > own)
      return r.inputsSeq > own
        ? `${n} has folded placement inputs through log seq ${r.inputsSeq}, this node only through ${own}: no start until its fold catches up`
        : `${n} has heard of placement inputs through log seq ${heard}, this node has folded them only through ${own}: no start until its fold catches up`;
  }
  return null;
}

/** Null when every live peer able to start `group` (no node holds it) places it on `self` too;
 *  otherwise why this node's start of it waits. */
export function choiceWait(self: string, group: string, peers: ReadonlyMap<string, PeerInfo>): string | null {
  for (const [n, p] of peers) {
    const r = p.report;
    if (!isHeard(p.liveness) || !r || r.choices === null || r.noQuorum || saysBehind(r)) continue;
    const there = r.choices[group];
    if (there !== self) return `${n} places ${group} ${there ? `on ${there}` : "nowhere yet"}: no start until it places it here too`;
  }
  return null;
}

/** Null unless a live peer has not yet probed `group` (node-report.ts `probing`); otherwise why this
 *  node's start of it waits. */
export function probeWait(group: string, peers: ReadonlyMap<string, PeerInfo>): string | null {
  for (const [n, p] of peers)
    if (isHeard(p.liveness) && p.report?.probing.includes(group)) return `${n} has not yet probed ${group} (its agent has just started): no start until it says whether ${group} runs there`;
  return null;
}
