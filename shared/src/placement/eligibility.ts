// Whether a node may run a group, and if not, why (in the words `vigil status` shows).
import { DEFAULT_MIGRATION_THRESHOLD, type PlacementGroup, type PlacementInput, type PlacementNode } from "./placement-input.js";

/** Why `node` cannot run `group`, or null when it can. */
export function whyIneligible(input: PlacementInput, nodes: ReadonlyMap<string, PlacementNode>, group: PlacementGroup, node: string): string | null {
  const n = nodes.get(node);
  if (n === undefined) return `${node} is not a configured node`;
  switch (n.state) {
    case "standby":
      return `${node} in standby`;
    case "offline":
      return `${node} offline`;
    case "unclean":
      return `${node} unclean`;
    case "online":
      return failcountBar(input, group, node);
  }
}

/** crm's migration-threshold: once a resource failed that often on a node, its group stays off that
 *  node until cleanup resets the count. A threshold of 0 means the resource never forces a move. */
function failcountBar(input: PlacementInput, group: PlacementGroup, node: string): string | null {
  const counts = input.failcounts[group.id]?.[node];
  if (counts === undefined) return null;
  for (const resource of group.resources) {
    const count = counts[resource] ?? 0;
    const threshold = input.migrationThreshold[resource] ?? input.defaultMigrationThreshold ?? DEFAULT_MIGRATION_THRESHOLD;
    if (threshold > 0 && count >= threshold) {
      return `failcount ${count} of ${resource} on ${node} reached threshold ${threshold}`;
    }
  }
  return null;
}
