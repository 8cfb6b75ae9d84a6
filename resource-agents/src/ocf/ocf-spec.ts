// `ocf:PROVIDER:TYPE::name=value::…` as written in haresources: which script, with which OCF_RESKEY_*s.
import { OCF, type ActionResult } from "../agent-interface.js";
import { argsError } from "../metadata.js";

export interface OcfSpec {
  provider: string;
  type: string;
  /** Parameters in the order written; a value may itself contain '='. */
  params: Record<string, string>;
}

// Provider and type become a path under $OCF_ROOT/resource.d: no separators, no dot-dot.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/;
// Parameter names become environment variable names (OCF_RESKEY_<name>), which shells can only read
// when they are identifiers.
const PARAM = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseOcfSpec(agent: string, args: readonly string[]): { ok: true; value: OcfSpec } | { ok: false; result: ActionResult } {
  const parts = agent.split(":");
  if (parts.length !== 3 || parts[0] !== "ocf") {
    return { ok: false, result: { rc: OCF.ERR_CONFIGURED, message: `ocf: agent "${agent}": write it as ocf:PROVIDER:TYPE` } };
  }
  const [, provider = "", type = ""] = parts;
  if (!SEGMENT.test(provider)) return { ok: false, result: { rc: OCF.ERR_CONFIGURED, message: `${agent}: provider "${provider}": not a valid provider name` } };
  if (!SEGMENT.test(type)) return { ok: false, result: { rc: OCF.ERR_CONFIGURED, message: `${agent}: type "${type}": not a valid agent type` } };
  const params: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) return { ok: false, result: argsError(agent, `argument "${arg}"`, "expected name=value") };
    const name = arg.slice(0, eq);
    if (!PARAM.test(name)) return { ok: false, result: argsError(agent, name, "not a valid parameter name") };
    if (name in params) return { ok: false, result: argsError(agent, name, "given twice") };
    params[name] = arg.slice(eq + 1);
  }
  return { ok: true, value: { provider, type, params } };
}
