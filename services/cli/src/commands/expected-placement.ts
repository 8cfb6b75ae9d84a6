// Where the agents' placement policy (shared/src/placement/policy.ts) puts every group, given what
// the log says: the CLI's `--wait` uses it to know when a command that may change nothing (online,
// clear) is carried out, instead of waiting for an event that never comes. Pure; time is an input.
import { nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { decidePlacement } from "@vigil/shared/placement/policy";
import type { AutoFailback } from "@vigil/shared/config/schemas";
import type { Failcounts, PlacementInput } from "@vigil/shared/placement/placement-input";

export function expectedPlacement(v: ClusterView, now: number): Record<string, string | null> {
  const failcounts: Failcounts = {};
  const moves: Record<string, string> = {};
  const current: Record<string, string | null> = {};
  for (const g of v.groups.values()) {
    if (g.movedTo) moves[g.id] = g.movedTo;
    current[g.id] = g.state === "stopped" ? null : g.node;
    for (const r of g.resources)
      for (const [node, n] of Object.entries(r.failcounts)) ((failcounts[g.id] ??= {})[node] ??= {})[r.id] = n;
  }
  const input: PlacementInput = {
    groups: [...v.groups.values()].map((g) => ({ id: g.id, preferredNode: g.preferredNode, resources: g.resources.map((r) => r.id) })),
    nodes: [...v.nodes.values()].map((n) => ({ name: n.name, state: nodeState(n) })),
    autoFailback: (v.autoFailback ?? "legacy") as AutoFailback,
    current,
    moves,
    failcounts,
    migrationThreshold: {},
    // The command was accepted, so the cluster has quorum; the failback delay is the agents' to keep:
    // the end state is what --wait waits for.
    quorum: { hasQuorum: true },
    now,
    failbackStableMs: 0,
  };
  return decidePlacement(input).placement;
}

/** Every group is where the policy puts it: started there, or stopped when it is placed nowhere. */
export function placementReached(v: ClusterView, placement: Record<string, string | null>): boolean {
  return [...v.groups.values()].every((g) => {
    const want = placement[g.id] ?? null;
    return want === null ? g.state === "stopped" || g.state === "failed" || g.state === "blocked" : g.node === want && g.state === "started";
  });
}
