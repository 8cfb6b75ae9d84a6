// `vigil status [--json]`: the fold of the event log, one screen, like `crm_mon -1`.
import { foldLog } from "@vigil/agent/nats/fold-log";
import { nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { connectCli, type CommonFlags } from "../cli-context.js";

export function statusObject(v: ClusterView) {
  return {
    cluster: v.cluster,
    lastSeq: v.lastSeq,
    lastEventTime: v.lastEventTime,
    nodes: [...v.nodes.values()].sort((a, b) => a.name.localeCompare(b.name)).map((n) => ({ name: n.name, state: nodeState(n), generation: n.generation, since: n.since })),
    groups: [...v.groups.values()].map((g) => ({
      id: g.id,
      node: g.state === "stopped" ? null : g.node,
      state: g.state,
      preferredNode: g.preferredNode,
      movedTo: g.movedTo,
      reason: g.reason,
      resources: g.resources.map((r) => ({ id: r.id, state: r.state, failcounts: r.failcounts, lastError: r.lastError })),
    })),
    /** Each node's configuration digest and the changes waiting for its restart (its latest ConfigLoaded). */
    configs: Object.fromEntries([...v.configs].sort(([a], [b]) => a.localeCompare(b))),
  };
}

export function formatStatus(s: ReturnType<typeof statusObject>): string {
  const lines: string[] = [];
  lines.push(`Cluster ${s.cluster}: last event #${s.lastSeq}${s.lastEventTime ? ` at ${s.lastEventTime}` : ""}`);
  lines.push(`${s.nodes.length} nodes configured, ${s.groups.length} resource groups configured`, "");
  const byState = (st: string) => s.nodes.filter((n) => n.state === st).map((n) => n.name);
  for (const [label, st] of [["Online", "online"], ["Standby", "standby"], ["OFFLINE", "offline"], ["UNCLEAN", "unclean"]] as const) {
    const names = byState(st);
    if (names.length > 0 || st === "online") lines.push(`${label}: [ ${names.join(" ")} ]`);
  }
  lines.push(...configLines(s.configs));
  lines.push("");
  if (s.groups.length === 0) lines.push("No resource groups.");
  for (const g of s.groups) {
    const where = g.node ? `${g.state} on ${g.node}` : g.state;
    lines.push(`Resource Group: ${g.id}  ${where}  (preferred ${g.preferredNode}${g.movedTo ? `, moved to ${g.movedTo}` : ""})`);
    for (const r of g.resources) {
      const fc = Object.entries(r.failcounts).filter(([, n]) => n > 0).map(([n, c]) => `${n}=${c}`).join(" ");
      lines.push(`    ${r.id.padEnd(40)} ${r.state}${fc ? `  failcount: ${fc}` : ""}${r.lastError ? `  last error: ${r.lastError}` : ""}`);
    }
    if (g.reason) lines.push(`    why: ${g.reason}`);
  }
  return lines.join("\n");
}

export async function statusCommand(f: CommonFlags, out: (s: string) => void): Promise<number> {
  const { nc, cluster } = await connectCli(f);
  try {
    const s = statusObject(await foldLog(nc, cluster));
    out(f.json ? JSON.stringify(s) : formatStatus(s));
  } finally {
    await nc.close().catch(() => {});
  }
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
