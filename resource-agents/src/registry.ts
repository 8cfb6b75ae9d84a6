// From a haresources resource (`IPaddr::…`, `Dummy::…`, `ocf:P:T::k=v`, or a bare script name) to a
// Resource. Built-in agents are looked up by name in one map, so each agent module registers itself
// here (Filesystem, drbddisk, nfs, lvs: `registerAgent(name, factory)`); `ocf:` names go to the OCF
// adapter; anything else follows heartbeat's script lookup (resource.d, then init.d).
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import type { AgentMetadata, Resource } from "./agent-interface.js";
import { DEFAULT_DUMMY_STATE_DIR, DUMMY_META, DummyResource } from "./dummy/dummy-agent.js";
import { IPADDR_META } from "./ipaddr/ipaddr-args.js";
import { IpaddrResource } from "./ipaddr/ipaddr-agent.js";
import type { AddressLease } from "./ipaddr/address-lease.js";
import { DEFAULT_SEARCH_PATH, findScript, ScriptResource, scriptMetadata, type ScriptSearchPath } from "./lsb/lsb-agent.js";
import { loadOcfAgentInfoSync, OcfResource, DEFAULT_OCF_ROOT } from "./ocf/ocf-agent.js";
import { DRBDDISK_META, createDrbddisk } from "./drbddisk/drbddisk-agent.js";
import { FILESYSTEM_META } from "./filesystem/filesystem-args.js";
import { createFilesystem } from "./filesystem/filesystem-agent.js";
import { EXPORTFS_META, createExportfs } from "./nfs/exportfs-agent.js";
import { KILLNFSD_META, NFSSERVER_META, createKillNfsd, createNfsServer } from "./nfs/nfs-server-agent.js";
import { LVS_METADATA, createLvs } from "./lvs/lvs-agent.js";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface AgentOptions {
  /** Command prefix for every command the agent runs, e.g. `["ip","netns","exec","NS"]` (tests, lab). */
  wrap?: readonly string[];
  /** Where the Dummy agent keeps its state files: the agent passes `<state-dir>/dummy`, so agents
   *  sharing a host never share a Dummy (default /run/vigil/dummy, for a Resource built elsewhere). */
  stateDir?: string;
  /** heartbeat resource.d and init.d directories to search (default /etc/ha.d/resource.d, /etc/init.d). */
  searchPath?: ScriptSearchPath;
  /** OCF_ROOT for `ocf:` agents (default $OCF_ROOT, else /usr/lib/ocf). */
  ocfRoot?: string;
  /** Renews IPaddr's kernel address lifetimes while the agent lives (the agent's lease worker). */
  addressLease?: AddressLease;
}

export type CreateResult = Resource | { error: string };

/** A built-in agent: its metadata (for `vigil agents list|info`) and how to bind it to arguments. */
export interface AgentFactory {
  meta: AgentMetadata;
  create(spec: ResourceSpec, opts: AgentOptions): CreateResult;
}

const builtIns = new Map<string, AgentFactory>();

/** Adds (or replaces) a built-in agent, looked up by the exact name written in haresources. */
export function registerAgent(name: string, factory: AgentFactory): void {
  builtIns.set(name, factory);
}

registerAgent("IPaddr", {
  meta: IPADDR_META,
  create: (spec, opts) =>
    new IpaddrResource(spec.id, spec.args, { ...(opts.wrap ? { wrap: opts.wrap } : {}), ...(opts.addressLease ? { lease: opts.addressLease } : {}) }),
});
registerAgent("Dummy", {
  meta: DUMMY_META,
  create: (spec, opts) => new DummyResource(spec.id, spec.args, opts.stateDir ?? DEFAULT_DUMMY_STATE_DIR),
});

const wrapOf = (opts: AgentOptions) => (opts.wrap ? { wrap: opts.wrap } : {});
registerAgent("Filesystem", { meta: FILESYSTEM_META, create: (spec, opts) => createFilesystem(spec, wrapOf(opts)) });
registerAgent("drbddisk", { meta: DRBDDISK_META, create: (spec, opts) => createDrbddisk(spec, wrapOf(opts)) });
registerAgent("exportfs", { meta: EXPORTFS_META, create: (spec, opts) => createExportfs(spec, wrapOf(opts)) });
registerAgent("nfsserver", { meta: NFSSERVER_META, create: (spec, opts) => createNfsServer(spec, wrapOf(opts)) });
registerAgent("lvs", { meta: LVS_METADATA, create: (spec) => createLvs(spec) });
registerAgent("killnfsd", { meta: KILLNFSD_META, create: (spec, opts) => createKillNfsd(spec, wrapOf(opts)) });

export function isResource(r: CreateResult): r is Resource {
  return !("error" in r);
}

export function createResource(spec: ResourceSpec, opts: AgentOptions = {}): CreateResult {
  const builtIn = builtIns.get(spec.agent);
  if (builtIn) return builtIn.create(spec, opts);
  if (spec.agent.startsWith("ocf:")) {
    const o: ConstructorParameters<typeof OcfResource>[3] = {};
    if (opts.wrap) o.wrap = opts.wrap;
    if (opts.ocfRoot) o.ocfRoot = opts.ocfRoot;
    return new OcfResource(spec.id, spec.agent, spec.args, o);
  }
  const script = findScript(spec.agent, opts.searchPath);
  if (!script) {
    const sp = { ...DEFAULT_SEARCH_PATH, ...opts.searchPath };
    return {
      error:
        `no agent "${spec.agent}": not built in (${[...builtIns.keys()].sort().join(", ")}), ` +
        `not ocf:PROVIDER:TYPE, and no executable script in ${[...sp.resourceDirs, ...sp.initDirs].join(", ")}`,
    };
  }
  return new ScriptResource(spec.id, spec.agent, spec.args, script, opts.wrap ?? []);
}

/** The names haresources can use for built-in agents, exactly as written. */
export function builtInAgentNames(): string[] {
  return [...builtIns.keys()];
}

/** Built-in agents, by name. */
export function listAgents(): AgentMetadata[] {
  return [...builtIns.values()].map((f) => f.meta).sort((a, b) => a.name.localeCompare(b.name));
}

/** Installed OCF agents as `ocf:PROVIDER:TYPE` names (their meta-data is read only by agentInfo). */
export function listOcfAgents(ocfRoot: string = process.env.OCF_ROOT ?? DEFAULT_OCF_ROOT): string[] {
  const names: string[] = [];
  const base = join(ocfRoot, "resource.d");
  for (const provider of safeReaddir(base)) {
    for (const type of safeReaddir(join(base, provider))) {
      if (!type.startsWith(".") && !type.startsWith("_")) names.push(`ocf:${provider}:${type}`);
    }
  }
  return names.sort();
}

/** Metadata for `vigil agents info NAME`: a built-in, an `ocf:` agent (its meta-data) or a script. */
export function agentInfo(name: string, opts: AgentOptions = {}): AgentMetadata | { error: string } {
  const builtIn = builtIns.get(name);
  if (builtIn) return builtIn.meta;
  if (name.startsWith("ocf:")) {
    const [, provider = "", type = ""] = name.split(":");
    const root = opts.ocfRoot ?? process.env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
    if (!/^[\w.+-]+$/.test(provider) || !/^[\w.+-]+$/.test(type) || provider.startsWith(".") || type.startsWith(".")) {
      return { error: `${name}: write it as ocf:PROVIDER:TYPE` };
    }
    const dir = join(root, "resource.d", provider);
    if (!existsSync(join(dir, type))) {
      const installed = listOcfAgents(root).filter((n) => n.startsWith(`ocf:${provider}:`));
      const near = installed.filter((n) => n.toLowerCase() === name.toLowerCase());
      const hint = near.length > 0 ? `; did you mean ${near.join(", ")}?` : installed.length > 0 ? `; ${installed.length} agents there: vigil agents list` : `: no provider "${provider}"`;
      return { error: `no resource agent "${name}" (looked in ${dir}${hint})` };
    }
    const script = join(dir, type);
    const info = loadOcfAgentInfoSync(script, root, name);
    return "error" in info ? info : info.metadata;
  }
  const script = findScript(name, opts.searchPath);
  if (script) return scriptMetadata(name, script.kind);
  const near = [...builtIns.keys()].find((n) => n.toLowerCase() === name.toLowerCase());
  const sp = { ...DEFAULT_SEARCH_PATH, ...opts.searchPath };
  const hint = near ? `; did you mean ${near}?` : "";
  return { error: `no resource agent "${name}" (not built in; looked in ${[...sp.resourceDirs, ...sp.initDirs].join(", ")}${hint})` };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
