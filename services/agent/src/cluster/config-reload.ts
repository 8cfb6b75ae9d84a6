// SIGHUP: what of a new, valid configuration this node applies now, and what waits for its restart.
// Pure. Applied live is what cannot make this node's lease or quorum count run ahead of its peers':
// groups added or removed, the resources of a group that is stopped here, auto_failback. Everything
// the heartbeat worker, the quorum rule or the NATS connection were built from at start waits.
import { createHash } from "node:crypto";
import type { ClusterConfig, GroupSpec, HaCf } from "@vigil/shared/config/schemas";

export interface ReloadPlan {
  /** What this node runs with from now on: the new configuration's live parts over the old one. */
  effective: ClusterConfig;
  added: string[];
  removed: string[];
  /** Groups whose definition changed and that are stopped here: rebuilt now. */
  redefined: string[];
  /** One line per change applied now. */
  changes: string[];
  /** One line per change that waits for a restart, saying why. */
  pending: string[];
}

/** ha.cf settings that wait for a restart, by group of settings, with the reason. */
const RESTART_ONLY: { keys: (keyof HaCf)[]; what: string; why: string }[] = [
  {
    keys: ["keepaliveMs", "warntimeMs", "deadtimeMs", "initdeadMs"],
    what: "timing (keepalive, warntime, deadtime, initdead)",
    why: "a node's lease and its peers' deadtime are one agreement; changed on one node alone, its lease would run ahead of what its peers allow",
  },
  {
    keys: ["nodes"],
    what: "the node list",
    why: "quorum is a majority of the configured nodes; one node counting another majority than its peers could keep quorum alone",
  },
  { keys: ["media", "udpport", "bind", "allowCrc"], what: "heartbeat media", why: "the heartbeat worker binds its sockets at start" },
  { keys: ["pingNodes"], what: "ping nodes", why: "the witnesses are started with the agent" },
  { keys: ["tiebreaker"], what: "the tie-breaker (tiebreaker)", why: "the lease is wired at start, and both nodes must agree on it" },
  { keys: ["fence", "fenceAgent", "requireFencing"], what: "fencing (fence, fence_agent, require_fencing)", why: "fencing is wired at start, and every node must agree on it" },
  { keys: ["cluster", "nats"], what: "the cluster name and NATS servers", why: "the event stream and its connection are opened at start" },
];

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/** A group's definition, without the line it sits on (moving a line changes nothing). */
const definition = (g: GroupSpec) => JSON.stringify({ p: g.preferredNode, r: g.resources });

export function planReload(old: ClusterConfig, next: ClusterConfig, runningHere: ReadonlySet<string>): ReloadPlan {
  const changes: string[] = [];
  const pending: string[] = [];
  for (const r of RESTART_ONLY) {
    const differs = r.keys.filter((k) => !same(old.haCf[k], next.haCf[k]));
    if (differs.length > 0) pending.push(`${r.what} (${differs.join(", ")}): waits for a restart: ${r.why}`);
  }
  if (!same(old.authKeys, next.authKeys)) pending.push("authkeys: waits for a restart: the heartbeat worker signs and checks packets with the keys it started with");

  const haCf: HaCf = { ...old.haCf };
  if (old.haCf.autoFailback !== next.haCf.autoFailback) {
    haCf.autoFailback = next.haCf.autoFailback;
    changes.push(`auto_failback ${old.haCf.autoFailback} → ${next.haCf.autoFailback}`);
  }
  // Directives Vigil does not act on change nothing; take them as they are.
  for (const k of ["logfile", "debugfile", "logfacility", "debug", "ignored"] as const) {
    if (next.haCf[k] === undefined) delete haCf[k];
    else (haCf as Record<string, unknown>)[k] = next.haCf[k];
  }

  const oldById = new Map(old.groups.map((g) => [g.id, g]));
  const nextIds = new Set(next.groups.map((g) => g.id));
  const added: string[] = [];
  const redefined: string[] = [];
  const groups: GroupSpec[] = [];
  for (const g of next.groups) {
    const before = oldById.get(g.id);
    if (!old.haCf.nodes.includes(g.preferredNode)) {
      pending.push(`group ${g.id}: waits for a restart: it prefers ${g.preferredNode}, which is not in the node list this agent runs with`);
      if (before) groups.push(before);
      continue;
    }
    if (!before) {
      added.push(g.id);
      changes.push(`group ${g.id} added`);
      groups.push(g);
    } else if (definition(before) === definition(g)) groups.push({ ...before, line: g.line });
    else if (runningHere.has(g.id)) {
      pending.push(`group ${g.id}: its new definition waits: it runs here (stop it, e.g. by standby, and send SIGHUP again, or restart)`);
      groups.push(before);
    } else {
      redefined.push(g.id);
      changes.push(`group ${g.id} redefined (${g.resources.map((r) => r.id).join(" ")})`);
      groups.push(g);
    }
  }
  const removed = old.groups.filter((g) => !nextIds.has(g.id)).map((g) => g.id);
  for (const id of removed) changes.push(`group ${id} removed${runningHere.has(id) ? " (stopped here first)" : ""}`);

  return { effective: { ...old, haCf, groups }, added, removed, redefined, changes, pending };
}

/** A short digest of what a node runs with, so `vigil status` can show nodes whose configurations
 *  differ. Key material is left out: a digest in the log must not help anyone guess a key. */
export function configDigest(c: ClusterConfig): string {
  const keys = Object.fromEntries(Object.entries(c.authKeys.keys).map(([i, k]) => [i, k.method]));
  const { ignored: _i, logfile: _l, debugfile: _d, logfacility: _f, debug: _g, bind: _b, media, ...haCf } = c.haCf;
  // What every node must share: a node's own lines (its bind address, the peers it ucasts to, its
  // device names) differ from node to node in a healthy cluster and are left out.
  const shared = media
    .filter((m) => m.kind !== "ucast")
    .map((m) => (m.kind === "mcast" ? `mcast ${m.group}:${m.port}` : `bcast :${m.port}`))
    .sort();
  const text = JSON.stringify({ haCf: { ...haCf, media: [...new Set(shared)] }, auth: { active: c.authKeys.active, keys }, groups: c.groups.map((g) => ({ id: g.id, p: g.preferredNode, r: g.resources })) });
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}
