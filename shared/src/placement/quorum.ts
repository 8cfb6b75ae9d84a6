// Quorum from one node's view. A node without quorum must stop its groups (within its lease) and
// place none, so that the side of a partition that keeps running is the only one.
//
// Rule: a strict majority of the configured nodes, counting this node itself. Two-node clusters can
// never have a majority after losing the peer, so there (as with heartbeat's ping nodes and corosync's
// two_node/qdevice) one node plus a witness is enough: a `ping` node answering, or the NATS cluster
// reachable. The witness counts only in two-node clusters; with three or more nodes it would let both
// halves of an even split believe they hold quorum.

export interface QuorumView {
  /** Nodes from ha.cf `node` lines. */
  configuredNodes: readonly string[];
  /** Configured nodes this node hears now, including itself. Names not configured are ignored. */
  reachableNodes: readonly string[];
  /** A witness answers: a `ping` node, or the NATS cluster. */
  witnessReachable: boolean;
}

export function hasQuorum(view: QuorumView): boolean {
  return explainQuorum(view).hasQuorum;
}

/** hasQuorum with the reason in operator words (for QuorumLost/QuorumRegained and `vigil status`). */
export function explainQuorum(view: QuorumView): { hasQuorum: boolean; reason: string } {
  const configured = new Set(view.configuredNodes);
  const total = configured.size;
  const heard = new Set(view.reachableNodes.filter((n) => configured.has(n))).size;
  if (total === 0) return { hasQuorum: false, reason: "no configured nodes" };
  const counted = `${heard} of ${total} nodes`;
  if (heard * 2 > total) return { hasQuorum: true, reason: `${counted}: majority` };
  if (total === 2 && heard === 1) {
    return view.witnessReachable
      ? { hasQuorum: true, reason: `${counted}, witness answers: two-node quorum` }
      : { hasQuorum: false, reason: `${counted} and no witness: no quorum` };
  }
  return { hasQuorum: false, reason: `${counted}: no majority` };
}
