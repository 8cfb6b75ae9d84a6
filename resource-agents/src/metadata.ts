// Agent metadata in OCF's meta-data XML form (what `vigil agents info NAME` prints), and the argument
// plumbing every native agent shares: haresources passes positional arguments (`Name::a::b`), the
// metadata names them, and a validation error always names the parameter that is wrong.
import type { z } from "zod";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata } from "./agent-interface.js";

const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** OCF durations are written in seconds ("20s") unless a whole second does not fit ("500ms"). */
export function formatOcfDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Renders metadata as OCF resource-agent API 1.0 meta-data XML (ra-api-1.dtd). */
export function renderMetadataXml(meta: AgentMetadata): string {
  const lines = [
    `<?xml version="1.0"?>`,
    `<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">`,
    `<resource-agent name="${escapeXml(meta.name)}" version="1.0">`,
    `<version>1.0</version>`,
    `<longdesc lang="en">${escapeXml(meta.description)}</longdesc>`,
    `<shortdesc lang="en">${escapeXml(meta.description.split("\n")[0] ?? "")}</shortdesc>`,
    `<parameters>`,
  ];
  for (const p of meta.parameters) {
    lines.push(
      `<parameter name="${escapeXml(p.name)}" required="${p.required ? 1 : 0}" unique="0">`,
      `<longdesc lang="en">${escapeXml(p.description)}</longdesc>`,
      `<shortdesc lang="en">${escapeXml(p.description.split("\n")[0] ?? "")}</shortdesc>`,
      p.default === undefined
        ? `<content type="string"/>`
        : `<content type="string" default="${escapeXml(p.default)}"/>`,
      `</parameter>`,
    );
  }
  const t = meta.timeouts;
  lines.push(
    `</parameters>`,
    `<actions>`,
    `<action name="start" timeout="${formatOcfDuration(t.start)}"/>`,
    `<action name="stop" timeout="${formatOcfDuration(t.stop)}"/>`,
    `<action name="monitor" timeout="${formatOcfDuration(t.monitor)}" interval="${formatOcfDuration(meta.monitorIntervalMs)}"/>`,
    `<action name="meta-data" timeout="5s"/>`,
    `<action name="validate-all" timeout="5s"/>`,
    `</actions>`,
    `</resource-agent>`,
    ``,
  );
  return lines.join("\n");
}

/** Binds haresources' positional arguments to the parameter names in the metadata, in order.
 *  Surplus arguments are reported by name of position, since they have no parameter to name. */
export function bindPositionalArgs(
  meta: AgentMetadata,
  args: readonly string[],
): { ok: true; named: Record<string, string> } | { ok: false; result: ActionResult } {
  if (args.length > meta.parameters.length) {
    return {
      ok: false,
      result: argsError(
        meta.name,
        `argument ${meta.parameters.length + 1} ("${args[meta.parameters.length]}")`,
        `unexpected: ${meta.name} takes at most ${meta.parameters.length} (${usage(meta)})`,
      ),
    };
  }
  const named: Record<string, string> = {};
  meta.parameters.forEach((p, i) => {
    const v = args[i];
    if (v !== undefined && v !== "") named[p.name] = v;
  });
  return { ok: true, named };
}

export function usage(meta: AgentMetadata): string {
  return [meta.name, ...meta.parameters.map((p) => (p.required ? p.name : `[${p.name}]`))].join("::");
}

/** OCF rc 2 (ERR_ARGS) with the offending argument named first, as `Agent: name: problem`. */
export function argsError(agent: string, argument: string, problem: string): ActionResult {
  return { rc: OCF.ERR_ARGS, message: `${agent}: ${argument}: ${problem}` };
}

/** Turns the first zod issue into an ERR_ARGS result naming the parameter at the issue's path. */
/** Positional haresources arguments bound to the agent's parameters, then checked by its schema:
 *  the value, or the validate error naming the argument. */
export function parsePositionalArgs<S extends z.ZodType>(
  meta: AgentMetadata,
  schema: S,
  args: readonly string[],
): { ok: true; value: z.infer<S> } | { ok: false; result: ActionResult } {
  const bound = bindPositionalArgs(meta, args);
  if (!bound.ok) return bound;
  const parsed = schema.safeParse(bound.named);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, result: zodArgsError(meta.name, parsed.error, bound.named) };
}

export function zodArgsError(agent: string, error: z.ZodError, given: Record<string, string>): ActionResult {
  const issue = error.issues[0];
  const name = issue?.path.map(String).join(".") || "arguments";
  const value = given[name];
  const argument = value === undefined ? name : `${name} ("${value}")`;
  const problem = issue?.code === "invalid_type" && value === undefined ? "is required" : (issue?.message ?? "invalid");
  return argsError(agent, argument, problem);
}

/** One timeout for a whole action that runs several commands: each command gets what is left of it
 *  (the shell's clock; the deciding code never sees this). */
export function withDeadline(opts: ActionOptions): ActionOptions {
  const end = performance.now() + opts.timeoutMs;
  const o: ActionOptions = {
    get timeoutMs() {
      return Math.max(1, Math.round(end - performance.now()));
    },
  };
  if (opts.signal) o.signal = opts.signal;
  return o;
}
