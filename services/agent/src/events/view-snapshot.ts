// A local snapshot of this node's fold of the log, so an agent that starts again folds only the tail
// (DESIGN: "rebuilds it from a snapshot plus the tail"). Written atomically; a snapshot that does not
// fit the stream as it is now (recreated, or purged past it) is ignored and the log folded whole.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";

const VERSION = 1;

export function serializeView(v: ClusterView): string {
  return JSON.stringify({
    version: VERSION,
    cluster: v.cluster,
    lastSeq: v.lastSeq,
    lastEventTime: v.lastEventTime,
    autoFailback: v.autoFailback,
    applied: [...v.applied],
    nodes: [...v.nodes.values()],
    groups: [...v.groups.values()],
    withoutQuorum: [...v.withoutQuorum],
    observers: v.observers,
    lastChange: v.lastChange,
    unfencedRecoveries: v.unfencedRecoveries,
  });
}

export function deserializeView(text: string, cluster: string): ClusterView | null {
  try {
    const o = JSON.parse(text);
    if (o.version !== VERSION || o.cluster !== cluster || !Number.isInteger(o.lastSeq)) return null;
    // Written before the fold kept each node's reports: liveness cannot be worked out; fold whole.
    if (typeof o.observers !== "object" || o.observers === null) return null;
    const v = emptyView(cluster);
    v.lastSeq = o.lastSeq;
    v.lastEventTime = o.lastEventTime ?? null;
    v.autoFailback = o.autoFailback ?? null;
    v.applied = new Set(o.applied);
    for (const n of o.nodes) v.nodes.set(n.name, n);
    for (const g of o.groups) v.groups.set(g.id, g);
    v.withoutQuorum = new Set(o.withoutQuorum ?? []);
    v.observers = o.observers;
    v.lastChange = o.lastChange ?? null;
    v.unfencedRecoveries = o.unfencedRecoveries ?? {};
    return v;
  } catch {
    return null;
  }
}

export function saveViewSnapshot(path: string, v: ClusterView): void {
  writeFileSync(`${path}.tmp`, serializeView(v));
  renameSync(`${path}.tmp`, path);
}

/** The snapshot, if there is one for this cluster that the stream (first..last seq) can continue. */
export function loadViewSnapshot(path: string, cluster: string, stream: { firstSeq: number; lastSeq: number }): ClusterView | null {
  if (!existsSync(path)) return null;
  const v = deserializeView(readFileSync(path, "utf8"), cluster);
  if (!v) return null;
  // Recreated stream (it ends before the snapshot) or purged past it (its tail is gone): fold whole.
  if (v.lastSeq > stream.lastSeq || v.lastSeq + 1 < stream.firstSeq) return null;
  return v;
}
