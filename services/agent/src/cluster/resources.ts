// Binds every haresources resource to its agent and validates its arguments before anything runs.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import type { Resource } from "@vigil/resource-agents/agent-interface";
import { createResource, type AgentOptions } from "@vigil/resource-agents/registry";

export function buildResources(cfg: ClusterConfig, opts: AgentOptions = {}): { ok: true; resources: Map<string, Resource[]> } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const resources = new Map<string, Resource[]>();
  const file = `${cfg.dir}/haresources`;
  for (const g of cfg.groups) {
    const list: Resource[] = [];
    for (const spec of g.resources) {
      const r = createResource(spec, opts);
      if ("error" in r) {
        errors.push(`${file}:${g.line}: ${spec.id}: ${r.error}`);
        continue;
      }
      const v = r.validate();
      if (v.rc !== 0) errors.push(`${file}:${g.line}: ${spec.id}: ${v.message}`);
      list.push(r);
    }
    resources.set(g.id, list);
  }
  return errors.length ? { ok: false, errors } : { ok: true, resources };
}
