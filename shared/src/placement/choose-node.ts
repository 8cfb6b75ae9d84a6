// The choice among several eligible nodes when a group must leave (or cannot reach) its preferred
// node. Rule: the node running the fewest groups; on a tie, the first in ha.cf `node` order counting
// from the node after the preferred one (so n1's groups go to n2 first, n2's to n3, n3's to n1).
// Every node computes the same answer from the same input, and a group that has failed over stays put
// (stickiness in the policy), so this choice is made once per failover, not re-made on every change.

/** Nodes in ha.cf order, rotated to start just after `preferred` (unchanged if it is not listed). */
export function failoverOrder(nodeOrder: readonly string[], preferred: string): string[] {
  const i = nodeOrder.indexOf(preferred);
  if (i < 0) return [...nodeOrder];
  return [...nodeOrder.slice(i + 1), ...nodeOrder.slice(0, i + 1)];
}

/** The least-loaded eligible node, ties broken by failover order; null when none is eligible. */
export function chooseFailoverNode(
  nodeOrder: readonly string[],
  preferred: string,
  isEligible: (node: string) => boolean,
  load: ReadonlyMap<string, number>,
): string | null {
  let best: string | null = null;
  let bestLoad = Infinity;
  for (const node of failoverOrder(nodeOrder, preferred)) {
    if (!isEligible(node)) continue;
    const l = load.get(node) ?? 0;
    // Strictly less: the earlier node in failover order wins a tie.
    if (l < bestLoad) {
      best = node;
      bestLoad = l;
    }
  }
  return best;
}
