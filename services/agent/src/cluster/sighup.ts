// What a SIGHUP comes to, for the agent and the simulator alike: a refusal (the last good
// configuration stays), nothing (the files did not change), or a plan to apply. Pure: reading the
// files, building the resources and applying the plan are the caller's.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { configDigest, planReload, type ReloadPlan } from "./config-reload.js";

export const REJECTED_CAUSE = "configuration read on SIGHUP is invalid; keeping the last good one";

/** The files as read: a configuration, or each error as `file:line: what is wrong`. */
export type ReadConfig = { ok: true; value: ClusterConfig } | { ok: false; errors: string[] };

export type ReloadOutcome =
  | { kind: "rejected"; errors: string[] }
  | { kind: "unchanged" }
  /** `build`: the groups whose resources must be built now (added, redefined); `next`: what was read. */
  | { kind: "apply"; next: ClusterConfig; plan: ReloadPlan; build: ClusterConfig };

/** `lastRead`: the configuration last read from disk; `running`: what this node runs with. */
export function decideReload(read: ReadConfig, lastRead: ClusterConfig, running: ClusterConfig, activeHere: ReadonlySet<string>): ReloadOutcome {
  if (!read.ok) return { kind: "rejected", errors: read.errors };
  const next = read.value;
  if (JSON.stringify({ ...next, dir: "" }) === JSON.stringify({ ...lastRead, dir: "" })) return { kind: "unchanged" };
  // Decided against what runs here now; the caller applies it without a pause in between.
  const plan = planReload(running, next, activeHere);
  const fresh = new Set([...plan.added, ...plan.redefined]);
  return { kind: "apply", next, plan, build: { ...next, groups: next.groups.filter((g) => fresh.has(g.id)) } };
}

/** ConfigLoaded's body for a configuration a node runs with: what the log folds, and its digest. */
export function configLoadedBody(c: ClusterConfig) {
  return {
    nodes: c.haCf.nodes,
    groups: c.groups.map((g) => ({ id: g.id, preferredNode: g.preferredNode, resources: g.resources.map((r) => r.id) })),
    autoFailback: c.haCf.autoFailback,
    keepaliveMs: c.haCf.keepaliveMs,
    deadtimeMs: c.haCf.deadtimeMs,
    digest: configDigest(c),
  };
}

/** The ConfigLoaded a reload records. */
export function reloadedEvent(plan: ReloadPlan, dir: string): { body: ReturnType<typeof configLoadedBody> & { changes: string[]; pending: string[] }; cause: string } {
  return {
    body: { ...configLoadedBody(plan.effective), changes: plan.changes, pending: plan.pending },
    cause: `configuration reloaded from ${dir} on SIGHUP: ${plan.changes.length} change(s) applied, ${plan.pending.length} waiting for a restart`,
  };
}
