// Binds every haresources resource to its agent before anything runs, with the one check that
// `vigil config check` runs too (resource-agents/src/check-resources.ts): argument checks and,
// since this is the node that runs them, host checks.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import type { Resource } from "@vigil/resource-agents/agent-interface";
import { checkResources, formatResourceProblem } from "@vigil/resource-agents/check-resources";
import type { AgentOptions } from "@vigil/resource-agents/registry";

export function buildResources(
  cfg: ClusterConfig,
  agent: AgentOptions = {},
): { ok: true; resources: Map<string, Resource[]> } | { ok: false; errors: string[] } {
  const { problems, resources } = checkResources(cfg.dir, cfg.groups, agent);
  if (problems.length > 0) return { ok: false, errors: problems.map(formatResourceProblem) };
  return { ok: true, resources: new Map(cfg.groups.map((g) => [g.id, g.resources.map((spec) => resources.get(spec)!)])) };
}
