// The shape of a golden placement case (test/policy/cases/*.yaml) and its mapping to PlacementInput.
// Cases are written for a reviewer: node and group maps keep their written order, which is ha.cf's
// `node` order and haresources' line order.
import { z } from "zod";
import type { PlacementInput } from "@vigil/shared/placement/placement-input";
import { NODE_STATES } from "@vigil/shared/states";

const NodeName = z.string().min(1);
const NodeState = z.enum(NODE_STATES);

const Given = z.strictObject({
  nodes: z.record(NodeName, z.union([NodeState, z.strictObject({ state: NodeState, up_since: z.number().int() })])),
  groups: z.record(
    z.string().min(1),
    z.strictObject({
      preferred: NodeName,
      running_on: NodeName.nullable().optional(),
      /** Defaults to one resource named like the group (heartbeat's group key is its first resource). */
      resources: z.array(z.string().min(1)).min(1).optional(),
    }),
  ),
  auto_failback: z.enum(["on", "off", "legacy"]),
  moves: z.record(z.string(), NodeName).optional(),
  failcounts: z.record(z.string(), z.record(NodeName, z.record(z.string(), z.number().int().nonnegative()))).optional(),
  migration_threshold: z.record(z.string(), z.number().int().nonnegative()).optional(),
  default_migration_threshold: z.number().int().nonnegative().optional(),
  quorum: z.boolean().default(true),
  now: z.number().int().default(0),
  failback_stable_ms: z.number().int().nonnegative().default(0),
});

export const PolicyCase = z
  .strictObject({
    description: z.string().optional(),
    given: Given,
    /** Every group, with the node it must be placed on (null: nowhere). */
    expect: z.record(z.string(), NodeName.nullable()),
    /** Substrings the reason must contain. */
    expect_reason: z.record(z.string(), z.string().min(1)).optional(),
  })
  .superRefine((c, ctx) => {
    const groups = Object.keys(c.given.groups).sort();
    const expected = Object.keys(c.expect).sort();
    if (groups.join() !== expected.join()) {
      ctx.addIssue({ code: "custom", path: ["expect"], message: `expect must list exactly the groups ${groups.join(", ")}` });
    }
    for (const g of Object.keys(c.expect_reason ?? {})) {
      if (!(g in c.given.groups)) ctx.addIssue({ code: "custom", path: ["expect_reason", g], message: "no such group" });
    }
  });
export type PolicyCase = z.infer<typeof PolicyCase>;

export function toPlacementInput(c: PolicyCase): PlacementInput {
  const g = c.given;
  return {
    nodes: Object.entries(g.nodes).map(([name, s]) =>
      typeof s === "string" ? { name, state: s } : { name, state: s.state, upSince: s.up_since },
    ),
    groups: Object.entries(g.groups).map(([id, grp]) => ({
      id,
      preferredNode: grp.preferred,
      resources: grp.resources ?? [id],
    })),
    autoFailback: g.auto_failback,
    current: Object.fromEntries(Object.entries(g.groups).map(([id, grp]) => [id, grp.running_on ?? null])),
    moves: g.moves ?? {},
    failcounts: g.failcounts ?? {},
    migrationThreshold: g.migration_threshold ?? {},
    ...(g.default_migration_threshold === undefined ? {} : { defaultMigrationThreshold: g.default_migration_threshold }),
    quorum: { hasQuorum: g.quorum },
    now: g.now,
    failbackStableMs: g.failback_stable_ms,
  };
}
