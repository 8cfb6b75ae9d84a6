// Cluster state as a fold of the event log. `vigil status` prints it; an agent that starts again
// rebuilds it from the log. Applying is deterministic and skips an event id it has already applied,
// because JetStream only drops a repeated msgID inside its duplicate window (Invariant 2).
import type { VigilEvent } from "./vocabulary.js";
import { explainQuorum } from "../placement/quorum.js";
import { applyAlerts, emptyAlerts, type NodeAlerts } from "./node-alerts.js";
import { isAlive, observer, reportingNodes, withTheSay, type Observers, type QuorumReport } from "./observers.js";
import { clearCopyFailures, dropCopiesOf, holdByLiveCopy, noteCopyResource, noteCopyState, showHolderCopy, type GroupCopy } from "./group-copies.js";

import type { GroupState, NodeState, ResourceState } from "../states.js";
export type { GroupState, NodeState, ResourceState } from "../states.js";

export interface NodeView {
  name: string;
  /** Alive as the observers with the say see it (observers.ts): its agent runs and is heard. */
  alive: boolean;
  standby: boolean;
  /** Reported dead while holding groups, and not yet fenced or seen to stop them. */
  unclean: boolean;
  generation: number | null;
  since: string | null;
  /** Fenced, or confirmed down by the operator, since it was last alive: confirming it again is a no-op. */
  fenced?: { seq: number; type: "Fenced" | "FenceConfirmed" };
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
  /** Each node's own account of its copy (group-copies.ts): the holder when the log's order lags. */
  copies: Record<string, GroupCopy>;
}

export interface ClusterView {
  cluster: string;
  lastSeq: number;
  /** The seq of the last event that changed what placement reads of the fold (standby, moves,
   *  failcounts: PLACEMENT_INPUTS); 0 for none. Nodes compare it in their heartbeats, so that no node
   *  starts a group from placement inputs another node knows to be out of date (the agent's start-agreement.ts). */
  inputsSeq: number;
  applied: Set<string>;
  nodes: Map<string, NodeView>;
  groups: Map<string, GroupView>;
  autoFailback: string | null;
  lastEventTime: string | null;
  /** Observers that reported losing quorum and not yet regaining it. */
  withoutQuorum: Set<string>;
  /** The stream holds fewer replicas than the JetStream cluster could give it (StreamUnderReplicated). */
  streamWarning: { stream: string; replicas: number; wanted: number; reason: string } | null;
  /** The last LogRestored: the log was lost and rebuilt by the agents from what they knew. */
  logRestored: { seq: number; by: string; time: string; lostThrough: number } | null;
  /** Each node's own reports: whom it hears, its quorum, its reasons (observers.ts). */
  observers: Observers;
  /** The last event that changed placement or membership. */
  lastChange: { seq: number; time: string; type: string } | null;
  /** Groups started while the node that held them was dead and not fenced (RecoveredWithoutFencing),
   *  until that node is fenced, confirmed down or heard again. */
  unfencedRecoveries: Record<string, { victim: string; on: string; seq: number; time: string }>;
  /** Each node's configuration as its latest ConfigLoaded said: digest, and changes waiting for its restart. */
  configs: Map<string, { digest: string; pending: string[] }>;
  /** Two-node `tiebreaker nats`: the last node to win the lease (token: its acquisition revision), and
   *  each node's last verdict (TiebreakerWon/TiebreakerLost). Absent until one is recorded. */
  tiebreak?: { holder: string | null; token: number | null; seq: number; time: string; verdicts: Record<string, { won: boolean; reason: string; seq: number }> };
  /** Nodes that could not be fenced, peers rejected for a bad key (node-alerts.ts). */
  alerts: NodeAlerts;
}

/** What each reporting node says about its partition, from its latest quorum report. */
export interface PartitionView {
  node: string;
  has: boolean;
  members: string[];
  reason: string;
  seq: number;
  time: string;
}

export function emptyView(cluster: string): ClusterView {
  return {
    cluster,
    lastSeq: 0,
    inputsSeq: 0,
    applied: new Set(),
    nodes: new Map(),
    groups: new Map(),
    autoFailback: null,
    lastEventTime: null,
    withoutQuorum: new Set(),
    streamWarning: null,
    logRestored: null,
    observers: {},
    lastChange: null,
    unfencedRecoveries: {},
    configs: new Map(),
    alerts: emptyAlerts(),
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
  if (CHANGES.has(e.type) && !(e.type === "Fenced" && !e.ok)) view.lastChange = { seq, time: e.time, type: e.type };
  if (PLACEMENT_INPUTS.has(e.type)) view.inputsSeq = seq;
  const g = "group" in e ? view.groups.get(e.group) : undefined;
  // A node heard again after being called dead, or its own first word after a restart: settle.
  let settle = noteObserver(view, e, seq);
  applyAlerts(view.alerts, e, seq);
  switch (e.type) {
    case "ConfigLoaded": {
      for (const n of e.nodes) node(view, n);
      // ha.cf order, as the operator wrote it, then any node only other events named: every node
      // list the view gives (status, quorum, reporting order) follows it.
      for (const name of [...e.nodes, ...[...view.nodes.keys()].filter((n) => !e.nodes.includes(n))]) {
        const n = view.nodes.get(name)!;
        view.nodes.delete(name);
        view.nodes.set(name, n);
      }
      view.autoFailback = e.autoFailback;
      if (e.digest !== undefined) view.configs.set(e.node, { digest: e.digest, pending: e.pending ?? [] });
      // The configured groups are the latest ConfigLoaded's: a group taken out of haresources leaves.
      const listed = new Set(e.groups.map((x) => x.id));
      for (const id of [...view.groups.keys()])
        if (!listed.has(id)) {
          view.groups.delete(id);
          view.inputsSeq = seq;
        }
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
          copies: old?.copies ?? {},
        });
      }
      break;
    }
    case "QuorumLost":
      view.withoutQuorum.add(e.node);
      break;
    case "TiebreakerWon":
    case "TiebreakerLost": {
      const t = (view.tiebreak ??= { holder: null, token: null, seq, time: e.time, verdicts: {} });
      if (e.type === "TiebreakerWon") Object.assign(t, { holder: e.node, token: e.token, seq, time: e.time });
      t.verdicts[e.node] = { won: e.type === "TiebreakerWon", reason: e.cause, seq };
      break;
    }
    case "QuorumRegained":
      view.withoutQuorum.delete(e.node);
      break;
    case "AgentStarted": {
      view.withoutQuorum.delete(e.node);
      const n = node(view, e.node);
      Object.assign(n, { unclean: false, generation: e.generation, since: e.time });
      // A restarted agent holds nothing until it starts something again.
      for (const gv of view.groups.values()) if (gv.node === e.node) markStopped(gv);
      dropCopiesOf(view.groups.values(), e.node);
      break;
    }
    case "AgentStopped": {
      const n = node(view, e.node);
      Object.assign(n, { unclean: false });
      for (const gv of groupsOn(view, e.node)) markStopped(gv);
      dropCopiesOf(view.groups.values(), e.node);
      break;
    }
    case "NodeUp":
    case "NodeReturned":
    case "NodeRestarted":
      node(view, e.peer).generation = e.generation;
      break;
    case "NodeDead":
      node(view, e.peer);
      break;
    case "Fenced":
    case "FenceConfirmed": {
      if (e.type === "Fenced" && !e.ok) break;
      const n = node(view, e.victim);
      observer(view.observers, e.victim).stoppedSeq = seq;
      n.unclean = false;
      n.fenced = { seq, type: e.type };
      for (const gv of groupsOn(view, e.victim)) markStopped(gv);
      dropCopiesOf(view.groups.values(), e.victim);
      settle = true;
      break;
    }
    case "RecoveredWithoutFencing": {
      // A victim seen to stop (AgentStopped) held nothing: there is nothing to warn about.
      const victim = view.nodes.get(e.victim);
      if (victim && nodeState(victim) === "offline") break;
      view.unfencedRecoveries[e.group] = { victim: e.victim, on: e.node, seq, time: e.time };
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
      if (g) clearCopyFailures(g);
      break;
    case "PlacementDecided":
      observer(view.observers, e.node).reasons = e.reasons;
      settle = true;
      break;
    case "GroupStarting":
      if (g) Object.assign(g, { node: e.node, state: "starting" });
      if (g) noteCopyState(g, e.node, "starting", seq);
      break;
    case "GroupStarted":
      if (g) Object.assign(g, { node: e.node, state: "started" });
      if (g) noteCopyState(g, e.node, "started", seq);
      break;
    case "GroupStopping":
      if (g && g.node === e.node) g.state = "stopping";
      if (g) noteCopyState(g, e.node, "stopping", seq);
      break;
    case "GroupStopped":
      if (g && (g.node === e.node || g.node === null)) markStopped(g);
      if (g) noteCopyState(g, e.node, "stopped", seq);
      break;
    case "GroupBlocked":
      if (g) Object.assign(g, { node: e.node, state: "blocked" });
      if (g) noteCopyState(g, e.node, "blocked", seq);
      break;
    case "ResourceStarting":
    case "ResourceStarted":
    case "ResourceStopping":
    case "ResourceStopped": {
      const states = {
        ResourceStarting: "starting",
        ResourceStarted: "started",
        ResourceStopping: "stopping",
        ResourceStopped: "stopped",
      } as const;
      if (g) noteCopyResource(g, e.node, e.resource, states[e.type], seq);
      if (!g || (g.node !== null && g.node !== e.node)) break;
      resource(g, e.resource).state = states[e.type];
      break;
    }
    case "ResourceFailed": {
      if (!g) break;
      noteCopyResource(g, e.node, e.resource, "failed", seq);
      const r = resource(g, e.resource);
      r.failcounts[e.node] = e.failcount;
      r.lastError = `${e.op} rc=${e.rc}: ${e.message}`;
      if (g.node === e.node || g.node === null) r.state = "failed";
      break;
    }
    case "StreamUnderReplicated":
      view.streamWarning = { stream: e.stream, replicas: e.replicas, wanted: e.wanted, reason: e.reason };
      break;
    case "StreamReplicasRaised":
      if (view.streamWarning && e.replicas >= view.streamWarning.wanted) view.streamWarning = null;
      break;
    case "GroupRestored":
      // The holder's own account of its group, republished into a rebuilt log.
      if (g) {
        Object.assign(g, { node: e.state === "stopped" ? null : e.node, state: e.state });
        for (const [id, st] of Object.entries(e.resources)) resource(g, id).state = st;
        noteCopyState(g, e.node, e.state, seq);
        for (const [id, st] of Object.entries(e.resources)) noteCopyResource(g, e.node, id, st, seq);
      }
      break;
    case "OperatorStateRestored":
      for (const n of e.standby) node(view, n).standby = true;
      for (const [gid, target] of Object.entries(e.moves)) {
        const gv = view.groups.get(gid);
        if (gv) gv.movedTo = target;
      }
      for (const [gid, byResource] of Object.entries(e.failcounts)) {
        const gv = view.groups.get(gid);
        if (gv) for (const [rid, byNode] of Object.entries(byResource)) Object.assign(resource(gv, rid).failcounts, byNode);
      }
      break;
    case "LogRestored":
      view.logRestored = { seq, by: e.node, time: e.time, lostThrough: e.lostThrough };
      break;
    default:
      break;
  }
  if (g && g.node === e.node) showHolderCopy(g);
  if (settle) settleNodes(view, e.time);
  // The holder stopped (or was reported stopped), or a node came alive, while a live node's copy runs.
  if (settle || ENDS_A_COPY.has(e.type)) for (const gv of view.groups.values()) holdByLiveCopy(gv, (n) => view.nodes.get(n)?.alive === true);
  return true;
}

/** Events after which a group may be on nobody while another node's copy runs (group-copies.ts). */
const ENDS_A_COPY: ReadonlySet<VigilEvent["type"]> = new Set(["GroupStopped", "AgentStarted", "AgentStopped", "Fenced", "FenceConfirmed", "GroupRestored"]);

/** Events that change placement or membership (`lastChange`). */
const CHANGES: ReadonlySet<VigilEvent["type"]> = new Set([
  "AgentStarted", "AgentStopped", "NodeUp", "NodeDead", "NodeReturned", "NodeRestarted", "MembershipChanged",
  "QuorumLost", "QuorumRegained", "Fenced", "FenceConfirmed", "PlacementDecided", "GroupStarted", "GroupStopped",
  "GroupMoved", "GroupBlocked", "RecoveredWithoutFencing", "StandbyRequested", "OnlineRequested", "MoveRequested",
  "MoveCleared",
]);

/** Events that change what placement reads of the fold (placement-view.ts: standby, moves,
 *  failcounts); a ConfigLoaded that drops a group does too (above). */
const PLACEMENT_INPUTS: ReadonlySet<VigilEvent["type"]> = new Set([
  "StandbyRequested", "OnlineRequested", "MoveRequested", "MoveCleared", "FailcountCleared", "ResourceFailed", "OperatorStateRestored",
]);

/** Operator commands: written by the CLI (their `node` is "cli" or `--as`), not by an agent. */
const OPERATOR: ReadonlySet<VigilEvent["type"]> = new Set([
  "StandbyRequested", "OnlineRequested", "MoveRequested", "MoveCleared", "CleanupRequested", "FenceConfirmed",
]);

/** Updates the writer's observer record. True when node liveness must be worked out again. */
function noteObserver(view: ClusterView, e: VigilEvent, seq: number): boolean {
  if (OPERATOR.has(e.type)) return false;
  const o = observer(view.observers, e.node);
  const wasQuiet = o.lastSeq <= o.stoppedSeq;
  o.lastSeq = seq;
  switch (e.type) {
    case "AgentStarted":
      Object.assign(o, { peers: {}, quorum: null, reasons: null });
      return true;
    case "AgentStopped":
      o.stoppedSeq = seq;
      return true;
    case "NodeUp":
    case "NodeReturned":
    case "NodeRestarted":
    case "NodeDead":
      o.peers[e.peer] = { alive: e.type !== "NodeDead", seq };
      return true;
    case "MembershipChanged":
    case "QuorumLost":
    case "QuorumRegained": {
      const has = e.type === "MembershipChanged" ? e.quorum : e.type === "QuorumRegained";
      o.quorum = { has, members: [...e.members].sort(), reason: e.cause, type: e.type, seq, time: e.time } satisfies QuorumReport;
      return true;
    }
    default:
      // Its first word since it was stopped, or since a peer called it dead: it may report again.
      if (wasQuiet) return true;
      for (const q in view.observers) if (view.observers[q]!.peers[e.node]?.alive === false) return true;
      return false;
  }
}

/** Works out every node's liveness from the observers' reports (observers.ts), and the groups' reasons
 *  from the first node with the say that gave some. */
function settleNodes(view: ClusterView, time: string): void {
  const order = [...view.nodes.keys()];
  const reporting = reportingNodes(view.observers, order);
  const say = withTheSay(view.observers, reporting);
  for (const n of view.nodes.values()) {
    const alive = isAlive(view.observers, n.name, reporting, say);
    if (alive !== n.alive) {
      n.since = time;
      n.alive = alive;
      // Called dead while holding groups: unclean until fenced or seen to stop them.
      n.unclean = !alive && groupsOn(view, n.name).length > 0;
    }
    if (alive) {
      n.unclean = false;
      delete n.fenced;
      for (const [gid, r] of Object.entries(view.unfencedRecoveries)) if (r.victim === n.name) delete view.unfencedRecoveries[gid];
    }
  }
  for (const [gid, r] of Object.entries(view.unfencedRecoveries)) if ((view.observers[r.victim]?.stoppedSeq ?? 0) > r.seq) delete view.unfencedRecoveries[gid];
  const reasons = [...say, ...reporting].map((n) => view.observers[n]!.reasons).find((r) => r);
  if (reasons) for (const [id, reason] of Object.entries(reasons)) {
    const gv = view.groups.get(id);
    if (gv) gv.reason = reason;
  }
}

/** Each reporting node's partition: whom it sees and whether it has quorum (nodes that never said). */
export function partitions(view: ClusterView): PartitionView[] {
  return reportingNodes(view.observers, [...view.nodes.keys()]).flatMap((node) => {
    const q = view.observers[node]!.quorum;
    return q ? [{ node, has: q.has, members: q.members, reason: q.reason, seq: q.seq, time: q.time }] : [];
  });
}

function markStopped(g: GroupView): void {
  g.node = null;
  g.state = "stopped";
  for (const r of g.resources) if (r.state !== "failed") r.state = "stopped";
}

/** Whether the cluster has quorum, for the CLI's checks: as the agents report it (each applies
 *  quorum.ts's rule to its own heartbeats), never recounted here. Some reporting node with quorum:
 *  yes; reporting nodes, none with it: no. Only when no agent has reported yet (an old agent, or one
 *  still starting) does it fall back to the rule on the nodes the fold has alive, the log itself
 *  standing as the two-node witness. */
export function clusterQuorum(view: ClusterView): { has: boolean; why: string } {
  const parts = partitions(view);
  const q = parts.find((p) => p.has);
  if (q) return { has: true, why: `${q.node} has quorum (${q.reason})` };
  if (parts.length > 0) return { has: false, why: parts.map((p) => `${p.node} sees ${p.members.join(", ")} (${p.reason})`).join("; ") };
  const alive = [...view.nodes.values()].filter((n) => n.alive).map((n) => n.name);
  const r = explainQuorum({ configuredNodes: [...view.nodes.keys()], reachableNodes: alive, witnessReachable: true });
  return { has: r.hasQuorum, why: `no agent reports its quorum; by the nodes alive: ${r.reason}` };
}
