// What a node says about itself in every heartbeat, built from its groups and its view of its peers.
// Pure, so the controller and the simulator (test/sim) build it the same way. The report's fields
// and its wire form are @vigil/shared/heartbeat/node-report's.
import { encodeNodeReport, type FencedNode, type NodeReport, type WireReport } from "@vigil/shared/heartbeat/node-report";
import { isHeard, type GroupState } from "@vigil/shared/states";
import type { PeerInfo } from "./placement-view.js";
import { highestHeard } from "./start-agreement.js";

/** This node's report: what it holds and has blocked, whom it vouches for (up) and hears (up or
 *  late) and what each of those holds, whom it fenced, whether it has no quorum, and what its starts
 *  rest on (start-agreement.ts): how far its fold of the placement inputs goes beside the farthest it
 *  has heard of, and where it places the groups no node holds. */
export function buildNodeReport(
  groups: Iterable<[string, GroupState]>,
  peers: ReadonlyMap<string, PeerInfo>,
  fencedByMe: FencedNode[] = [],
  /** This node's last decision found no quorum. */
  noQuorum = false,
  /** Its fold's ClusterView.inputsSeq, and its last decision's choices (null: not said). */
  agreement: { inputsSeq: number; choices: Record<string, string> | null } | null = null,
  /** Groups whose probe has not answered here yet. */
  probing: readonly string[] = [],
): NodeReport {
  const running: string[] = [];
  const blocked: string[] = [];
  for (const [id, s] of groups) {
    if (s === "blocked") blocked.push(id);
    else if (s === "started" || s === "starting" || s === "stopping") running.push(id);
  }
  const vouchesFor: string[] = [];
  const hears: string[] = [];
  const peersRunning: Record<string, string[]> = {};
  for (const [n, p] of peers) {
    if (p.liveness === "up") vouchesFor.push(n);
    if (isHeard(p.liveness)) {
      hears.push(n);
      if (p.report?.running.length) peersRunning[n] = p.report.running;
    }
  }
  const inputsSeq = agreement?.inputsSeq ?? null;
  const heardInputsSeq = inputsSeq === null ? null : highestHeard(inputsSeq, peers);
  return { running, blocked, probing: [...probing], fenced: fencedByMe, vouchesFor, hears, peersRunning, noQuorum, inputsSeq, heardInputsSeq, choices: agreement?.choices ?? null };
}

/** The report as the heartbeat carries it (short keys: node-report.ts). */
export function buildHeartbeatPayload(...a: Parameters<typeof buildNodeReport>): WireReport {
  return encodeNodeReport(buildNodeReport(...a));
}
