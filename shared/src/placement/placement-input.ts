// What the placement policy is given and what it returns. Everything it needs arrives here, time
// included, so the same input gives the same placement on every node and in the simulator.
import type { AutoFailback, GroupSpec } from "../config/schemas.js";

import type { NodeState } from "../states.js";
export type { NodeState } from "../states.js";

export interface PlacementNode {
  name: string;
  state: NodeState;
  /** When (ms, the caller's clock) the node last became online; absent = up long enough. */
  upSince?: number;
}

export interface PlacementGroup {
  id: string;
  /** The first field of the group's haresources line. */
  preferredNode: string;
  /** Resource ids in start order (as written in haresources). */
  resources: string[];
}

/** failcounts[group][node][resource] = failures since the last cleanup. */
export type Failcounts = Record<string, Record<string, Record<string, number>>>;

export interface PlacementInput {
  /** In haresources order: earlier groups are placed first when nodes are chosen by load. */
  groups: PlacementGroup[];
  /** Every configured node, in ha.cf `node` order (the tie-break order). */
  nodes: PlacementNode[];
  autoFailback: AutoFailback;
  /** Where each group runs now, as folded from the log and local state; absent = nowhere. */
  current: Record<string, string | null>;
  /** Operator moves still in force (crm's cli-prefer): group → node, until cleared. */
  moves: Record<string, string>;
  failcounts: Failcounts;
  /** Per resource id; 0 = never migrate. Resources not listed use `defaultMigrationThreshold`. */
  migrationThreshold: Record<string, number>;
  /** Default DEFAULT_MIGRATION_THRESHOLD. */
  defaultMigrationThreshold?: number;
  /** This node's view of quorum (see quorum.ts). */
  quorum: { hasQuorum: boolean };
  now: number;
  /** A returning preferred node must have been online this long before a group fails back to it. */
  failbackStableMs: number;
}

export interface PlacementResult {
  /** Group id → the node it should run on, or null when it should run nowhere. */
  placement: Record<string, string | null>;
  /** Group id → why, in operator words. */
  reasons: Record<string, string>;
}

export const DEFAULT_MIGRATION_THRESHOLD = 3;

/** The groups of a parsed haresources file, in the shape the policy takes. */
export function placementGroupsFromConfig(groups: readonly GroupSpec[]): PlacementGroup[] {
  return groups.map((g) => ({ id: g.id, preferredNode: g.preferredNode, resources: g.resources.map((r) => r.id) }));
}
