// Cluster state as a fold of the event log. `vigil status` prints it; an agent that starts again
// rebuilds it from the log. Applying is deterministic and skips an event id it has already applied,
// because JetStream only drops a repeated msgID inside its duplicate window (Invariant 2).
import type { VigilEvent } from "./vocabulary.js";

export type NodeState = "online" | "standby" | "offline" | "unclean";
export type GroupState = "started" | "stopped" | "starting" | "stopping" | "failed" | "blocked";
export type ResourceState = "started" | "stopped" | "starting" | "stopping" | "failed";

export interface NodeView {
  name: string;
  /** Last seen alive (AgentStarted, NodeUp/Returned by any observer) and not since reported dead/stopped. */
  alive: boolean;
  standby: boolean;
  /** Reported dead while holding groups, and not yet fenced or seen to stop them. */
  unclean: boolean;
  generation: number | null;
  since: string | null;
}

export interface ResourceView {
  id: string;
  state: ResourceState;
  /** Failcount per node, as crm keeps it; reset by cleanup. */
  failcounts: Record<string, number>;
  lastError: string | null;
}

export interface GroupView {
  id: string;
  preferredNode: string;
  node: string | null;
  state: GroupState;
  resources: ResourceView[];
  /** Operator's lasting preference (`vigil resource move`), until cleared. */
  movedTo: string | null;
  /** Why the group is where it is, from the last PlacementDecided. */
  reason: string | null;
}

export interface ClusterView {
  cluster: string;
  lastSeq: number;
  applied: Set<string>;
  nodes: Map<string, NodeView>;
  groups: Map<string, GroupView>;
  autoFailback: string | null;
  lastEventTime: string | null;
  /** Observers that reported losing quorum and not yet regaining it: a node cut off from the others
   *  calls them dead, and its view must not overrule the majority's. */
  withoutQuorum: Set<string>;
  /** Each node's configuration as its latest ConfigLoaded said: digest, and changes waiting for its restart. */
  configs: Map<string, { digest: string; pending: string[] }>;
}

export function emptyView(cluster: string): ClusterView {
  return {
    cluster,
    lastSeq: 0,
    applied: new Set(),
    nodes: new Map(),
    groups: new Map(),
    autoFailback: null,
    lastEventTime: null,
    withoutQuorum: new Set(),
    configs: new Map(),
  };
}

export function nodeState(n: NodeView): NodeState {
  if (!n.alive) return n.unclean ? "unclean" : "offline";
  return n.standby ? "standby" : "online";
}

function node(view: ClusterView, name: string): NodeView {
  let n = view.nodes.get(name);
  if (!n) {
    n = { name, alive: false, standby: false, unclean: false, generation: null, since: null };
    view.nodes.set(name, n);
  }
  return n;
}

function resource(g: GroupView, id: string): ResourceView {
  let r = g.resources.find((x) => x.id === id);
  if (!r) {
    r = { id, state: "stopped", failcounts: {}, lastError: null };
    g.resources.push(r);
  }
  return r;
}

function groupsOn(view: ClusterView, nodeName: string): GroupView[] {
  return [...view.groups.values()].filter((g) => g.node === nodeName && g.state !== "stopped");
}

/** Applies one event in place (the view is owned by the caller; in-place keeps a million-event fold fast).
 *  Returns false when the event id was applied before. */
export function applyEvent(view: ClusterView, e: VigilEvent, seq: number): boolean {
  if (seq > view.lastSeq) view.lastSeq = seq;
  if (view.applied.has(e.id)) return false;
  view.applied.add(e.id);
  view.lastEventTime = e.time;
  const g = "group" in e ? view.groups.get(e.group) : undefined;
  switch (e.type) {
    case "ConfigLoaded": {
      for (const n of e.nodes) node(view, n);
      view.autoFailback = e.autoFailback;
      if (e.digest !== undefined) view.configs.set(e.node, { digest: e.digest, pending: e.pending ?? [] });
      // The configured groups are the latest ConfigLoaded's: a group taken out of haresources leaves.
      const listed = new Set(e.groups.map((x) => x.id));
      for (const id of [...view.groups.keys()]) if (!listed.has(id)) view.groups.delete(id);
      for (const spec of e.groups) {
        const old = view.groups.get(spec.id);
        view.groups.set(spec.id, {
          id: spec.id,
          preferredNode: spec.preferredNode,
          node: old?.node ?? null,
          state: old?.state ?? "stopped",
          resources: spec.resources.map(
            (id) => old?.resources.find((r) => r.id === id) ?? { id, state: "stopped", failcounts: {}, lastError: null },
          ),
          movedTo: old?.movedTo ?? null,
          reason: old?.reason ?? null,
        });
      }
      break;
    }
    case "QuorumLost":
      view.withoutQuorum.add(e.node);
      break;
    case "QuorumRegained":
      view.withoutQuorum.delete(e.node);
      break;
    case "AgentStarted": {
      view.withoutQuorum.delete(e.node);
      const n = node(view, e.node);
      Object.assign(n, { alive: true, unclean: false, generation: e.generation, since: e.time });
      // A restarted agent holds nothing until it starts something again.
      for (const gv of view.groups.values()) if (gv.node === e.node) markStopped(gv);
      break;
    }
    case "AgentStopped": {
      const n = node(view, e.node);
      Object.assign(n, { alive: false, unclean: false, since: e.time });
      for (const gv of groupsOn(view, e.node)) markStopped(gv);
      break;
    }
    case "NodeUp":
    case "NodeReturned":
    case "NodeRestarted": {
      const n = node(view, e.peer);
      if (!n.alive) n.since = e.time;
      Object.assign(n, { alive: true, unclean: false, generation: e.generation });
      break;
    }
    case "NodeDead": {
      if (view.withoutQuorum.has(e.node)) break;
      const n = node(view, e.peer);
      if (n.alive) n.since = e.time;
      n.alive = false;
      n.unclean = groupsOn(view, e.peer).length > 0;
      break;
    }
    case "Fenced": {
      if (!e.ok) break;
      const n = node(view, e.victim);
      Object.assign(n, { alive: false, unclean: false, since: e.time });
      for (const gv of groupsOn(view, e.victim)) markStopped(gv);
      break;
    }
    case "StandbyRequested":
      node(view, e.target).standby = true;
      break;
    case "OnlineRequested":
      node(view, e.target).standby = false;
      break;
    case "MoveRequested":
      if (g) g.movedTo = e.target;
      break;
    case "MoveCleared":
      if (g) g.movedTo = null;
      break;
    case "FailcountCleared":
      if (g)
        for (const r of g.resources) {
          if (e.on === "*") r.failcounts = {};
          else delete r.failcounts[e.on];
          if (r.state === "failed") r.state = "stopped";
          r.lastError = null;
        }
      if (g && g.state === "failed") g.state = "stopped";
      break;
    case "PlacementDecided":
      for (const [id, reason] of Object.entries(e.reasons)) {
        const gv = view.groups.get(id);
        if (gv) gv.reason = reason;
      }
      break;
    case "GroupStarting":
      if (g) Object.assign(g, { node: e.node, state: "starting" });
      break;
    case "GroupStarted":
      if (g) Object.assign(g, { node: e.node, state: "started" });
      break;
    case "GroupStopping":
      if (g && g.node === e.node) g.state = "stopping";
      break;
    case "GroupStopped":
      if (g && (g.node === e.node || g.node === null)) markStopped(g);
      break;
    case "GroupBlocked":
      if (g) Object.assign(g, { node: e.node, state: "blocked" });
      break;
    case "ResourceStarting":
    case "ResourceStarted":
    case "ResourceStopping":
    case "ResourceStopped": {
      if (!g || (g.node !== null && g.node !== e.node)) break;
      const states = {
        ResourceStarting: "starting",
        ResourceStarted: "started",
        ResourceStopping: "stopping",
        ResourceStopped: "stopped",
      } as const;
      resource(g, e.resource).state = states[e.type];
      break;
    }
    case "ResourceFailed": {
      if (!g) break;
      const r = resource(g, e.resource);
      r.failcounts[e.node] = e.failcount;
      r.lastError = `${e.op} rc=${e.rc}: ${e.message}`;
      if (g.node === e.node || g.node === null) r.state = "failed";
      break;
    }
    default:
      break;
  }
  return true;
}

function markStopped(g: GroupView): void {
  g.node = null;
  g.state = "stopped";
  for (const r of g.resources) if (r.state !== "failed") r.state = "stopped";
}
