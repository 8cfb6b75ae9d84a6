// The one check of haresources' resources, run by the agent at start and by `vigil config check`.
// Two kinds, and each problem says which it is:
//  - argument checks: every agent's rules for its arguments (and lvs's virtual_server file), the same
//    on every machine;
//  - host checks: what must exist on the node that runs the resource (a NIC, a device, an installed
//    OCF agent or script). They mean something only on that node: the agent runs them at start, and
//    `vigil config check DIR --node NAME` runs them on the host it is run on.
import { existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import type { Resource } from "./agent-interface.js";
import { deviceSpec, parseFilesystemArgs } from "./filesystem/filesystem-args.js";
import { parseIpaddrArgs } from "./ipaddr/ipaddr-args.js";
import { parseOcfSpec } from "./ocf/ocf-spec.js";
import { builtInAgentNames, createResource, type AgentOptions } from "./registry.js";

export type CheckKind = "arguments" | "host";

export interface ResourceProblem {
  file: string;
  line: number;
  kind: CheckKind;
  /** `ID: what is wrong`. */
  message: string;
}

/** What a problem prints as: `file:line: ID: what is wrong`, host checks marked as such. */
export function formatResourceProblem(p: ResourceProblem): string {
  return `${p.file}:${p.line}: ${p.kind === "host" ? "host check: " : ""}${p.message}`;
}

interface GroupLike {
  line: number;
  resources: readonly ResourceSpec[];
}

/** Checks every resource of every group, in file order: the argument checks, then (for a resource
 *  whose arguments pass) the host checks on this host. The caller decides what a host problem means
 *  here (the agent: an error; config check without --node: a warning). `resources` holds those that
 *  passed both, bound to their agent. */
export function checkResources(
  dir: string,
  groups: readonly GroupLike[],
  agent: AgentOptions = {},
): { problems: ResourceProblem[]; resources: Map<ResourceSpec, Resource> } {
  const file = `${dir.length > 1 ? dir.replace(/\/+$/, "") : dir}/haresources`;
  const problems: ResourceProblem[] = [];
  const resources = new Map<ResourceSpec, Resource>();
  for (const g of groups) {
    for (const spec of g.resources) {
      // Agents start their messages with their own name; the resource id already says it.
      const add = (kind: CheckKind, why: string) =>
        problems.push({ file, line: g.line, kind, message: `${spec.id}: ${why.startsWith(`${spec.agent}: `) ? why.slice(spec.agent.length + 2) : why}` });
      const args = argumentProblem(spec, agent);
      if (args) {
        add("arguments", args);
        continue;
      }
      const host = hostProblem(spec, agent);
      if (host) {
        add("host", host);
        continue;
      }
      const r = createResource(spec, agent);
      if ("error" in r) add("host", r.error);
      else resources.set(spec, r);
    }
  }
  return { problems, resources };
}

/** The agent's own rules for its arguments: the same answer on every machine. */
export function argumentProblem(spec: ResourceSpec, opts: AgentOptions): string | null {
  if (spec.agent.startsWith("ocf:")) {
    const p = parseOcfSpec(spec.agent, spec.args);
    return p.ok ? null : p.result.message;
  }
  if (builtInAgentNames().includes(spec.agent)) {
    const r = createResource(spec, opts);
    if ("error" in r) return r.error;
    const v = r.validate();
    return v.rc === 0 ? null : v.message;
  }
  // A script name that differs from a built-in agent only in case is a typo, not a script.
  const near = builtInAgentNames().find((n) => n.toLowerCase() === spec.agent.toLowerCase());
  if (near) return `no agent "${spec.agent}" (did you mean ${near}?)`;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/.test(spec.agent)) return `"${spec.agent}" is not an agent name (built in, ocf:PROVIDER:TYPE, or a script name)`;
  return null;
}

/** What must exist on the node that runs the resource. */
export function hostProblem(spec: ResourceSpec, opts: AgentOptions): string | null {
  if (opts.wrap) return null; // run inside another namespace: this host's interfaces and devices are not its
  if (spec.agent === "IPaddr") {
    const p = parseIpaddrArgs(spec.args);
    if (p.ok && p.value.dev && !interfaceExists(p.value.dev)) return `IPaddr: network interface ${p.value.dev} does not exist on this host`;
    return null;
  }
  if (spec.agent === "Filesystem") {
    const p = parseFilesystemArgs(spec.args);
    const device = p.ok ? deviceSpec(p.value.device) : "";
    if (device.startsWith("/dev/") && !existsSync(device)) return `Filesystem: device ${device} does not exist on this host`;
    return null;
  }
  if (builtInAgentNames().includes(spec.agent)) return null;
  // OCF agents and scripts: installed, executable, and (OCF) the parameters its meta-data names.
  const r = createResource(spec, opts);
  if ("error" in r) return r.error;
  const v = r.validate();
  return v.rc === 0 ? null : v.message;
}

function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`) || name in networkInterfaces();
}
