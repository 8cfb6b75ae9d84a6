// `vigil config check DIR`: load heartbeat's three files as the agent would, and either summarise
// what the cluster will do (exit 0, with warnings) or print every problem as `file:line: problem` (exit 2).
import { formatConfigError } from "@vigil/shared/config/config-error";
import { formatDuration } from "@vigil/shared/config/duration";
import { loadConfig } from "@vigil/shared/config/load-config";
import type { ClusterConfig, FenceAgentSpec, Medium } from "@vigil/shared/config/schemas";
import { isSecretParam } from "@vigil/shared/config/hacf-fence";
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { checkResources, formatResourceProblem, type ResourceProblem } from "@vigil/resource-agents/check-resources";

export interface ConfigCheckOptions {
  /** Check as this node would at start: listed in ha.cf, and the host checks on this host. */
  node?: string;
  /** Print the parsed config as JSON (keys redacted) instead of the summary; errors as JSON too. */
  json?: boolean;
  out?: (s: string) => void;
  err?: (s: string) => void;
}

export const EXIT_INVALID_CONFIG = 2;

/** The configuration files, then every resource with the agent's own check (check-resources.ts).
 *  Host checks are errors with --node (this is the node); without it they are warnings, since the
 *  machine that runs the check may not be the one that runs the resource. */
export async function configCheck(dir: string, opts: ConfigCheckOptions = {}): Promise<number> {
  const out = opts.out ?? ((s: string) => void process.stdout.write(`${s}\n`));
  const err = opts.err ?? ((s: string) => void process.stderr.write(`${s}\n`));
  const r = await loadConfig(dir, opts.node !== undefined ? { localNode: opts.node } : {});
  const fail = (errors: string[], warnings: string[] = []) => {
    // Like every --json error, on stderr: stdout holds only the configuration.
    if (opts.json) err(JSON.stringify({ ok: false, errors, warnings }));
    else for (const line of [...errors, ...warnings.map((w) => `warning: ${w}`)]) err(line);
    return EXIT_INVALID_CONFIG;
  };
  // The resources of every group that parsed are checked even when other lines did not: one run
  // reports every problem it can find.
  const checked = checkResources(dir, r.ok ? r.value.groups : r.groups);
  const isError = (p: ResourceProblem) => p.kind === "arguments" || opts.node !== undefined;
  const errors = inFileOrder([
    ...(r.ok ? [] : r.errors.map((e) => ({ ...e, text: formatConfigError(e) }))),
    ...checked.problems.filter(isError).map((p) => ({ ...p, text: formatResourceProblem(p) })),
  ]);
  const warnings = [
    ...(r.ok ? r.warnings.map(formatConfigError) : []),
    ...checked.problems
      .filter((p) => !isError(p))
      .map((p) => `${formatResourceProblem(p)} (a warning without --node: run with --node NAME on that node to make it an error)`),
  ];
  if (!r.ok || errors.length > 0) return fail(errors, warnings);
  if (opts.json) out(JSON.stringify({ ...redactKeys(r.value), warnings }, null, 2));
  else for (const line of [...summarizeConfig(r.value), ...warnings.map((w) => `warning: ${w}`)]) out(line);
  return 0;
}

/** Problems by file (in the order the files first appear: ha.cf, authkeys, haresources), then by
 *  line, whole-file problems (line 0) last; stable. */
function inFileOrder(problems: { file: string; line: number; text: string }[]): string[] {
  const files = [...new Set(problems.map((p) => p.file))];
  const line = (n: number) => (n === 0 ? Number.MAX_SAFE_INTEGER : n);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => files.indexOf(a.p.file) - files.indexOf(b.p.file) || line(a.p.line) - line(b.p.line) || a.i - b.i)
    .map(({ p }) => p.text);
}

/** The config with every authkeys key (and fence agent password) replaced: a check's output may end up in a ticket or a chat. */
export function redactKeys(c: ClusterConfig): ClusterConfig {
  const keys = Object.fromEntries(Object.entries(c.authKeys.keys).map(([i, k]) => [i, { ...k, key: "<redacted>" }]));
  const fa = c.haCf.fenceAgent;
  const haCf = fa ? { ...c.haCf, fenceAgent: { ...fa, params: redactParams(fa.params) } } : c.haCf;
  return { ...c, haCf, authKeys: { ...c.authKeys, key: "<redacted>", keys } };
}

const redactParams = (p: Record<string, string>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, isSecretParam(k) ? "<redacted>" : v]));

/** `fence_xvm (stdin): action=off, plug=node name or its pcmk_host_map entry; ipaddr=… login=…` */
function describeFenceAgent(f: FenceAgentSpec): string {
  const params = Object.entries(redactParams(f.params)).map(([k, v]) => `${k}=${v}`).join(" ");
  const map = Object.entries(f.hostMap).map(([n, p]) => `${n}:${p}`).join(";");
  return `${f.agent} (fence agent, key=value on stdin): action=${f.action}, ${f.hostArgument}=${map ? `per pcmk_host_map ${map}, else the node name` : "the node name"}${params ? `; ${params}` : ""}`;
}

/** A short human summary: what `crm_mon`'s reader wants to know before starting the cluster. */
export function summarizeConfig(c: ClusterConfig): string[] {
  const h = c.haCf;
  const profile = Object.entries(TIMING_PROFILES).find(
    ([, p]) =>
      p.keepaliveMs === h.keepaliveMs && p.warntimeMs === h.warntimeMs && p.deadtimeMs === h.deadtimeMs && p.initdeadMs === h.initdeadMs,
  );
  const lines = [
    `${c.dir}: configuration is valid`,
    `cluster   ${h.cluster}`,
    `nodes     ${h.nodes.join(", ")}${h.pingNodes.length > 0 ? `  (ping witnesses: ${h.pingNodes.join(", ")})` : ""}`,
    `media     ${h.media.map(describeMedium).join("; ")}`,
    `timing    keepalive ${formatDuration(h.keepaliveMs)}, warntime ${formatDuration(h.warntimeMs)}, ` +
      `deadtime ${formatDuration(h.deadtimeMs)}, initdead ${formatDuration(h.initdeadMs)}` +
      (profile ? ` (the ${profile[0]} profile)` : ""),
    `auth      ${c.authKeys.method} (key ${c.authKeys.active})`,
    `failback  ${h.autoFailback}`,
    `nats      ${h.nats.length > 0 ? h.nats.join(", ") : "none given: the agent starts a local nats-server"}`,
  ];
  if (h.bind) lines.push(`bind      ${h.bind}`);
  if (h.fence) lines.push(`fence     ${h.fence.join(" ")}  (run with the victim's node name appended)`);
  if (h.fenceAgent) lines.push(`fence     ${describeFenceAgent(h.fenceAgent)}`);
  lines.push(`groups    ${c.groups.length}`);
  for (const g of c.groups) {
    lines.push(`  ${g.id}  (preferred ${g.preferredNode}): ${g.resources.map((r) => r.id).join(" → ")}`);
  }
  if (h.ignored && h.ignored.length > 0) {
    lines.push(`ignored   ${h.ignored.map((i) => `${i.directive} (line ${i.line})`).join(", ")}: heartbeat directives Vigil does not use`);
  }
  return lines;
}

function describeMedium(m: Medium): string {
  switch (m.kind) {
    case "mcast":
      return `mcast ${m.dev} ${m.group}:${m.port} ttl ${m.ttl}${m.loop ? " loop" : ""}`;
    case "bcast":
      return `bcast ${m.dev}:${m.port}`;
    case "ucast":
      return `ucast ${m.dev} → ${m.peer}:${m.port}`;
  }
}
