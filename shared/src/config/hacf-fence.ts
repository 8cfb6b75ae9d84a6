// ha.cf's fence directives. `fence COMMAND ARGS…` (Vigil's first form) runs COMMAND with the victim's
// name appended. A fence agent of the fence_* family (ClusterLabs fence-agents) is run through its
// standard stdin interface instead, one `key=value` per line: written `fence_agent AGENT key=value…`,
// or `fence fence_NAME key=value…` (every argument a key=value). The `pcmk_*` keys are Pacemaker's
// own stonith-resource options, read by Vigil and never sent to the agent.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { FenceAgentSpec } from "./schemas.js";

export type FenceParse = { ok: true; agent: FenceAgentSpec } | { ok: true; argv: string[] } | { ok: false; messages: string[] };

/** Keys Vigil sets per victim: the operator names each node's plug with pcmk_host_map instead. */
const PER_VICTIM = new Set(["plug", "port", "nodename"]);
const HOST_ARGUMENTS = ["plug", "port", "nodename"] as const;
const ACTIONS = ["off", "reboot"] as const;
const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const isKeyValue = (w: string) => /^[^=]+=/.test(w);

/** `fence fence_NAME key=value…`: a fence_* agent, every argument a key=value. */
export function isStdinFenceAgent(args: readonly string[]): boolean {
  const [cmd, ...rest] = args;
  return cmd !== undefined && basename(cmd).startsWith("fence_") && rest.every(isKeyValue);
}

export function parseFenceDirective(directive: "fence" | "fence_agent", args: readonly string[]): FenceParse {
  if (args.length === 0)
    return { ok: false, messages: [directive === "fence" ? "fence takes a command and its arguments" : "fence_agent takes a fence agent (fence_NAME) and its key=value parameters"] };
  if (directive === "fence" && !isStdinFenceAgent(args)) return { ok: true, argv: [...args] };
  const [agent, ...words] = args as [string, ...string[]];
  const messages: string[] = [];
  if (!basename(agent).startsWith("fence_")) messages.push(`${directive}: "${agent}" is not a fence agent of the fence_* family (for a command run with the victim's name appended, use "fence COMMAND ARGS…")`);
  const params: Record<string, string> = {};
  const seen = new Set<string>();
  const spec: FenceAgentSpec = { agent, params, action: "reboot", hostArgument: "plug", hostMap: {} };
  for (const w of words) {
    const eq = w.indexOf("=");
    const key = eq > 0 ? w.slice(0, eq) : "";
    const value = eq > 0 ? w.slice(eq + 1) : "";
    if (!KEY.test(key) || value === "") {
      messages.push(`${directive}: "${w}" is not a key=value parameter`);
      continue;
    }
    if (seen.has(key)) {
      messages.push(`${directive}: ${key} is given twice`);
      continue;
    }
    seen.add(key);
    if (PER_VICTIM.has(key)) {
      messages.push(`${directive}: ${key}= is set by Vigil to the victim's node name (name each node's plug with pcmk_host_map=NODE:PLUG;…)`);
      continue;
    }
    if (key === "action") {
      if (!(ACTIONS as readonly string[]).includes(value)) messages.push(`${directive}: action=${value}: Vigil fences with off or reboot`);
      else spec.action = value as FenceAgentSpec["action"];
      continue;
    }
    if (key === "pcmk_host_argument") {
      if (!(HOST_ARGUMENTS as readonly string[]).includes(value)) messages.push(`${directive}: pcmk_host_argument=${value} must be plug, port or nodename`);
      else spec.hostArgument = value as FenceAgentSpec["hostArgument"];
      continue;
    }
    if (key === "pcmk_host_map") {
      for (const pair of value.split(/[;,]/).filter((p) => p !== "")) {
        const m = /^([^:=]+)[:=](.+)$/.exec(pair);
        if (!m) messages.push(`${directive}: pcmk_host_map entry "${pair}" is not NODE:PLUG`);
        else spec.hostMap[m[1]!] = m[2]!;
      }
      continue;
    }
    if (key.startsWith("pcmk_")) {
      messages.push(`${directive}: ${key} is not supported (Vigil reads pcmk_host_map and pcmk_host_argument)`);
      continue;
    }
    params[key] = value;
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, agent: spec };
}

/** The fence agent's stdin for one victim: the operator's parameters, then the action and the plug. */
export function fenceAgentInput(spec: FenceAgentSpec, victim: string): string {
  const lines = Object.entries(spec.params).map(([k, v]) => `${k}=${v}`);
  lines.push(`action=${spec.action}`, `${spec.hostArgument}=${spec.hostMap[victim] ?? victim}`);
  return lines.join("\n") + "\n";
}

/** Whether ha.cf configures a fence agent, in any of its forms. */
export function hasFenceAgent(h: { fence?: readonly string[] | undefined; fenceAgent?: FenceAgentSpec | undefined }): boolean {
  return !!h.fence || !!h.fenceAgent;
}

/** The agent's path: as written when it holds a `/`, else the first executable in PATH, /usr/sbin, /sbin
 *  (Debian installs the fence_* agents in /usr/sbin, outside a service's usual PATH). */
export function resolveFenceAgent(agent: string, pathVar = process.env.PATH ?? ""): string | undefined {
  const dirs = [...pathVar.split(delimiter).filter((d) => d !== ""), "/usr/sbin", "/sbin"];
  return (agent.includes("/") ? [agent] : dirs.map((d) => join(d, agent))).find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Parameters whose values are secrets: never printed (config check) nor logged. */
export const isSecretParam = (key: string): boolean => /pass|secret|token/i.test(key);
