// A local snapshot of this node's fold of the log, so an agent that starts again folds only the tail
// (DESIGN: "rebuilds it from a snapshot plus the tail"). Written atomically. A snapshot belongs to one
// stream, named by its creation time: sequence numbers alone cannot tell a wiped and refilled stream
// from the old one. One that does not fit the stream as it is now (another stream, or purged past
// it) is ignored and the log folded whole.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";

/** 2: the stream's creation time is part of the snapshot (1 had none, and is ignored). */
const VERSION = 2;

export function serializeView(v: ClusterView, streamCreated: string): string {
  return JSON.stringify({
    version: VERSION,
    cluster: v.cluster,
    streamCreated,
    lastSeq: v.lastSeq,
    inputsSeq: v.inputsSeq,
    lastEventTime: v.lastEventTime,
    autoFailback: v.autoFailback,
    applied: [...v.applied],
    nodes: [...v.nodes.values()],
    groups: [...v.groups.values()],
    withoutQuorum: [...v.withoutQuorum],
    streamWarning: v.streamWarning,
    logRestored: v.logRestored,
    observers: v.observers,
    lastChange: v.lastChange,
    unfencedRecoveries: v.unfencedRecoveries,
    ...(v.tiebreak ? { tiebreak: v.tiebreak } : {}),
    alerts: v.alerts,
  });
}

export function deserializeView(text: string, cluster: string): { view: ClusterView; streamCreated: string } | null {
  try {
    const o = JSON.parse(text);
    if (o.version !== VERSION || o.cluster !== cluster || !Number.isInteger(o.lastSeq) || typeof o.streamCreated !== "string") return null;
    // Written before the fold kept each node's reports: liveness cannot be worked out; fold whole.
    if (typeof o.observers !== "object" || o.observers === null) return null;
    // Written before the fold kept each node's copy of a group (group-copies.ts): fold whole.
    if (!Array.isArray(o.groups) || o.groups.some((g: { copies?: unknown }) => typeof g.copies !== "object" || g.copies === null)) return null;
    // Written before the fold kept the seq of its placement inputs, which peers compare: fold whole.
    if (!Number.isInteger(o.inputsSeq)) return null;
    const v = emptyView(cluster);
    v.lastSeq = o.lastSeq;
    v.inputsSeq = o.inputsSeq;
    v.lastEventTime = o.lastEventTime ?? null;
    v.autoFailback = o.autoFailback ?? null;
    v.applied = new Set(o.applied);
    for (const n of o.nodes) v.nodes.set(n.name, n);
    for (const g of o.groups) v.groups.set(g.id, g);
    v.withoutQuorum = new Set(o.withoutQuorum ?? []);
    v.streamWarning = o.streamWarning ?? null;
    v.logRestored = o.logRestored ?? null;
    v.observers = o.observers;
    v.lastChange = o.lastChange ?? null;
    v.unfencedRecoveries = o.unfencedRecoveries ?? {};
    if (o.tiebreak) v.tiebreak = o.tiebreak;
    if (o.alerts) v.alerts = o.alerts;
    return { view: v, streamCreated: o.streamCreated };
  } catch {
    return null;
  }
}

export function saveViewSnapshot(path: string, v: ClusterView, streamCreated: string): void {
  writeFileSync(`${path}.tmp`, serializeView(v, streamCreated));
  renameSync(`${path}.tmp`, path);
}

/** The snapshot, if there is one for this cluster and this stream (its creation time, first..last seq) can continue it. */
export function loadViewSnapshot(path: string, cluster: string, stream: StreamSpan): ClusterView | null {
  return existsSync(path) ? snapshotFor(readFileSync(path, "utf8"), cluster, stream) : null;
}

/** The stream as its info reports it now. */
export interface StreamSpan {
  created: string;
  firstSeq: number;
  lastSeq: number;
}

/** A snapshot's fold, if it is one of `cluster` that the stream as it is now can continue. Pure. */
export function snapshotFor(text: string, cluster: string, stream: StreamSpan): ClusterView | null {
  const s = deserializeView(text, cluster);
  if (!s) return null;
  // Another stream (a store wiped and the stream made again, however long it has grown since).
  if (s.streamCreated !== stream.created) return null;
  const v = s.view;
  // Shorter than the snapshot, or purged past it (its tail is gone): fold whole.
  if (v.lastSeq > stream.lastSeq || v.lastSeq + 1 < stream.firstSeq) return null;
  return v;
}
