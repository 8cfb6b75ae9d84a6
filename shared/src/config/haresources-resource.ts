// One haresources word → ResourceSpec. heartbeat's forms: `name`, `name::arg1::arg2`, and a bare
// IPv4 address (optionally `/nn/dev/bcast`), which means IPaddr with that argument. Vigil also reads
// `ocf:provider:type::name=value…` (Pacemaker's agent naming), kept as agent `ocf:provider:type`.
// Whether the agent exists is the resource-agents package's question, not this parser's.
import { isInterfaceName } from "./hacf-media.js";
import { parseIPv4 } from "./net-address.js";
import type { ResourceSpec } from "./schemas.js";

export type ResourceResult = { ok: true; value: ResourceSpec } | { ok: false; message: string };

const AGENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+:-]*$/;
const OCF_PARAM = /^[A-Za-z_][A-Za-z0-9_]*=/;

export function parseResource(word: string): ResourceResult {
  if (/^\d+\.\d+\.\d+\.\d+(\/|$)/.test(word)) return parseBareAddress(word);
  const [agent = "", ...args] = word.split("::");
  if (agent === "") return { ok: false, message: `empty resource name in "${word}"` };
  if (!AGENT_NAME.test(agent)) return { ok: false, message: `"${agent}" is not a resource name` };
  const empty = args.findIndex((a) => a === "");
  if (empty >= 0) return { ok: false, message: `empty argument ${empty + 1} in "${word}"` };
  if (agent.startsWith("ocf:")) {
    const parts = agent.split(":");
    if (parts.length !== 3 || parts.some((p) => p === "")) {
      return { ok: false, message: `"${agent}" is not an OCF agent (ocf:provider:type)` };
    }
    const bad = args.find((a) => !OCF_PARAM.test(a));
    if (bad !== undefined) return { ok: false, message: `OCF parameter "${bad}" in "${word}" is not name=value` };
  }
  return { ok: true, value: { id: word, agent, args } };
}

/** heartbeat's IPaddr argument: `address[/nn[/dev[/broadcast]]]`. */
function parseBareAddress(word: string): ResourceResult {
  const [addr = "", bits, dev, bcast, ...extra] = word.split("/");
  if (parseIPv4(addr) === undefined) return { ok: false, message: `"${addr}" is not an IPv4 address` };
  if (bits !== undefined && bits !== "" && !(/^\d{1,2}$/.test(bits) && Number(bits) <= 32)) {
    return { ok: false, message: `"${word}": netmask bits "${bits}" must be 0-32` };
  }
  if (dev !== undefined && dev !== "" && !isInterfaceName(dev)) {
    return { ok: false, message: `"${word}": "${dev}" is not an interface name` };
  }
  if (bcast !== undefined && bcast !== "" && parseIPv4(bcast) === undefined) {
    return { ok: false, message: `"${word}": broadcast "${bcast}" is not an IPv4 address` };
  }
  if (extra.length > 0) return { ok: false, message: `"${word}": expected address/nn/dev/broadcast` };
  return { ok: true, value: { id: word, agent: "IPaddr", args: [word] } };
}

/** What makes two resources the same thing on the network or disk: for addresses, the address alone
 *  (`198.51.100.10` and `IPaddr::198.51.100.10/24` are one IP and must not be in two groups). */
export function resourceIdentity(r: ResourceSpec): string {
  if ((r.agent === "IPaddr" || r.agent === "IPaddr2") && r.args[0] !== undefined) {
    return `ip:${r.args[0].split("/")[0]}`;
  }
  return [r.agent, ...r.args].join("::");
}
