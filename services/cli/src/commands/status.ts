// `vigil status [--json]`: the fold of the event log, one screen, like `crm_mon -1`. Nodes are shown
// as the live nodes see them, with each reporting node's partition and quorum. While the log cannot be
// read, the local agent's view (STATE/vigil.sock) or its last saved fold (STATE/view.json), marked stale.
import { foldLog } from "@vigil/log-client/fold-log";
import { nodeState, partitions, type ClusterView } from "@vigil/shared/events/cluster-view";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";
import { readLocalView, type LocalSource } from "./local-view.js";
import { alertLines } from "./status-alerts.js";

export interface StatusFlags extends CommonFlags {
  /** The agent's state dir (its vigil.sock and view.json), for when the log cannot be read. */
  stateDir?: string;
  /** Whose default state dir (/var/lib/vigil/NODE) to look in; default: this host's name. */
  node?: string;
}

/** Where the status came from: the log (current), or the local agent / its snapshot (stale). */
export type StatusSource = { kind: "log" } | (LocalSource & { why: string });

export function statusObject(v: ClusterView, source: StatusSource = { kind: "log" }) {
  const alive = (n: string) => v.nodes.get(n)?.alive ?? false;
  const quorum: Record<string, { has: boolean; members: string[]; reason: string; action: string; since: string }> = {};
  for (const p of partitions(v)) quorum[p.node] = { has: p.has, members: inNodeOrder(v, p.members), reason: p.reason, action: action(p.has), since: p.time };
  // The local agent's live view is newer than anything it wrote to the log.
  if (source.kind === "agent" && source.live && source.node) {
    const q = source.live.quorum;
    quorum[source.node] = { has: q.has, members: inNodeOrder(v, q.members), reason: q.reason, action: action(q.has), since: source.time };
  }
  const warnings: { type: string; node: string; group?: string; text: string }[] = [];
  for (const n of v.nodes.values())
    if (nodeState(n) === "unclean")
      warnings.push({
        type: "NodeUnclean",
        node: n.name,
        text: `${n.name} is UNCLEAN: called dead while holding groups, and neither fenced nor seen to stop them; once it is known down: vigil node confirm-fenced ${n.name}`,
      });
  for (const [group, r] of Object.entries(v.unfencedRecoveries))
    warnings.push({
      type: "RecoveredWithoutFencing",
      node: r.victim,
      group,
      text: `${group} was started on ${r.on} while ${r.victim}, which held it, was dead and not fenced (#${r.seq}): it trusted ${r.victim}'s lease; "require_fencing on" in ha.cf makes groups wait for fencing`,
    });
  const alerts = alertLines(v);
  warnings.push(...alerts.warnings);
  return {
    cluster: v.cluster,
    stale: source.kind !== "log",
    staleReason: source.kind === "log" ? null : source.why,
    source:
      source.kind === "log"
        ? { kind: source.kind, path: null, node: null, time: null }
        : { kind: source.kind, path: source.path, node: source.node, time: source.time, natsConnected: source.natsConnected ?? null },
    lastSeq: v.lastSeq,
    lastEventTime: v.lastEventTime,
    streamWarning: v.streamWarning,
    lastChange: v.lastChange,
    nodes: [...v.nodes.values()].map((n) => ({ name: n.name, state: nodeState(n), generation: n.generation, since: n.since })),
    quorum: Object.fromEntries(inNodeOrder(v, Object.keys(quorum)).map((n) => [n, quorum[n]!])),
    groups: [...v.groups.values()].map((g) => {
      // A group last reported on a node that is not alive: where it runs is not known, and nothing may
      // manage it until that node is fenced or seen stopped. The contract's word for it is `blocked`
      // (`unknown: true`, `lastNode` say why); the text says UNKNOWN.
      const lost = g.state !== "stopped" && g.node !== null && !alive(g.node);
      return {
        id: g.id,
        node: g.state === "stopped" || lost ? null : g.node,
        state: lost ? ("blocked" as const) : g.state,
        unknown: lost,
        lastNode: lost ? g.node : null,
        preferredNode: g.preferredNode,
        movedTo: g.movedTo,
        reason: g.reason,
        resources: g.resources.map((r) => ({ id: r.id, state: lost ? "unknown" : r.state, failcounts: r.failcounts, lastError: r.lastError })),
      };
    }),
    warnings,
    /** Two-node `tiebreaker nats`: the last node to win the lease, its token, and each node's last verdict. */
    tiebreaker: v.tiebreak
      ? { holder: v.tiebreak.holder, token: v.tiebreak.token, seq: v.tiebreak.seq, since: v.tiebreak.time, verdicts: v.tiebreak.verdicts }
      : null,
    /** Nodes that could not be fenced, and why (their groups wait). */
    fenceFailures: alerts.fenceFailures,
    /** Configured peers whose packets a node rejects for a bad key now. */
    rejections: alerts.rejections,
    /** Each node's configuration digest and the changes waiting for its restart (its latest ConfigLoaded). */
    configs: Object.fromEntries(inNodeOrder(v, v.configs.keys()).map((n) => [n, v.configs.get(n)!])),
  };
}

/** Node names in ha.cf order (the fold keeps the latest ConfigLoaded's order: the order the operator
 *  wrote, where crm_mon sorts by name), any name ha.cf does not list after them, by name. */
export function inNodeOrder(v: ClusterView, names: Iterable<string>): string[] {
  const order = [...v.nodes.keys()];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** What a node does about its quorum (heartbeat's and crm_mon's words). */
const action = (has: boolean) => (has ? "runs and places groups" : "stops its groups and places none");

export function formatStatus(s: ReturnType<typeof statusObject>): string {
  const lines: string[] = [];
  if (s.stale) lines.push(`STALE: ${s.staleReason}`, `       showing ${s.source.kind === "agent" ? `the live view of ${s.source.node}'s agent${"natsConnected" in s.source && s.source.natsConnected === false ? ", itself cut off from NATS" : ""}` : "the fold the local agent last saved"} (${s.source.path}, ${s.source.time})`, "");
  lines.push(`Cluster ${s.cluster}: last event #${s.lastSeq}${s.lastEventTime ? ` at ${s.lastEventTime}` : ""}`);
  if (s.lastChange) lines.push(`Last change: #${s.lastChange.seq} ${s.lastChange.type} at ${s.lastChange.time}`);
  lines.push(`${s.nodes.length} nodes configured, ${s.groups.length} resource groups configured`, "");
  if (s.streamWarning) lines.push(`WARNING: event stream ${s.streamWarning.stream} has ${s.streamWarning.replicas} replica(s), the NATS cluster could give it ${s.streamWarning.wanted} (${s.streamWarning.reason})`, "");
  const reporting = Object.entries(s.quorum);
  if (reporting.length === 0) lines.push("Quorum: no node reports (is any agent running?)");
  for (const [node, q] of reporting)
    lines.push(`Quorum: ${node}: partition ${q.has ? "with quorum" : "WITHOUT quorum"}, sees [ ${q.members.join(" ")} ]: ${q.action} (${q.reason})`);
  if (s.tiebreaker) {
    const t = s.tiebreaker;
    const others = Object.entries(t.verdicts).filter(([n, x]) => !x.won && n !== t.holder).map(([n, x]) => `; ${n} lost (#${x.seq}): ${x.reason}`);
    lines.push(`Tie-breaker: ${t.holder ? `lease last won by ${t.holder}, token ${t.token}, at ${t.since} (#${t.seq})` : "lease never won"}${others.join("")}`);
  }
  const byState = (st: string) => s.nodes.filter((n) => n.state === st).map((n) => n.name);
  for (const [label, st] of [["Online", "online"], ["Standby", "standby"], ["OFFLINE", "offline"], ["UNCLEAN", "unclean"]] as const) {
    const names = byState(st);
    if (names.length > 0 || st === "online") lines.push(`${label}: [ ${names.join(" ")} ]`);
  }
  lines.push(...configLines(s.configs));
  lines.push("");
  if (s.groups.length === 0) lines.push("No resource groups.");
  for (const g of s.groups) {
    const where =
      g.unknown
        ? `UNKNOWN: last on ${g.lastNode}, which is ${s.nodes.find((n) => n.name === g.lastNode)?.state.toUpperCase() ?? "gone"}`
        : g.node
          ? `${g.state} on ${g.node}`
          : g.state;
    lines.push(`Resource Group: ${g.id}  ${where}  (preferred ${g.preferredNode}${g.movedTo ? `, moved to ${g.movedTo}` : ""})`);
    for (const r of g.resources) {
      const fc = Object.entries(r.failcounts).filter(([, n]) => n > 0).map(([n, c]) => `${n}=${c}`).join(" ");
      lines.push(`    ${r.id.padEnd(40)} ${r.state}${fc ? `  failcount: ${fc}` : ""}${r.lastError ? `  last error: ${r.lastError}` : ""}`);
    }
    if (g.reason) lines.push(`    why: ${g.reason}`);
  }
  if (s.warnings.length > 0) lines.push("");
  for (const w of s.warnings) lines.push(`WARNING: ${w.text}`);
  return lines.join("\n");
}

/** Reading the whole log never takes this long when JetStream answers; past it, fall back. */
const FOLD_TIMEOUT_MS = 10_000;

export async function statusCommand(f: StatusFlags, out: (s: string) => void): Promise<number> {
  let why: string;
  try {
    const { nc, cluster } = await connectCli(f);
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the event log did not answer within ${FOLD_TIMEOUT_MS / 1000} s`)), FOLD_TIMEOUT_MS);
      });
      const s = statusObject(await Promise.race([foldLog(nc, cluster), timeout]).finally(() => clearTimeout(timer)));
      out(f.json ? JSON.stringify(s) : formatStatus(s));
      return 0;
    } finally {
      await nc.close().catch(() => {});
    }
  } catch (e) {
    // A refusal about the cluster itself (no such stream…) is not an outage: say it, as before.
    if (e instanceof CliError && !/cannot reach the event log|did not answer/.test(e.message)) throw e;
    why = e instanceof CliError ? e.message : `reading the event log failed: ${(e as Error).message}`;
  }
  const local = await readLocalView(f);
  if (!local.ok) throw new CliError(`${why}; and no local view: ${local.tried.join("; ")}`);
  const s = statusObject(local.view, { ...local.source, why });
  out(f.json ? JSON.stringify(s) : formatStatus(s));
  return 0;
}

/** Nodes whose configurations differ, and changes waiting for a node's restart (nothing when all agree). */
function configLines(configs: Record<string, { digest: string; pending: string[] }>): string[] {
  const byDigest = new Map<string, string[]>();
  for (const [n, c] of Object.entries(configs)) byDigest.set(c.digest, [...(byDigest.get(c.digest) ?? []), n]);
  const out: string[] = [];
  if (byDigest.size > 1) out.push(`Configurations differ: ${[...byDigest].map(([d, ns]) => `${ns.join(" ")} (${d})`).join(" vs ")}`);
  for (const [n, c] of Object.entries(configs)) if (c.pending.length > 0) out.push(`${n} waits for a restart: ${c.pending.map((p) => p.split(":")[0]).join(", ")}`);
  return out;
}
