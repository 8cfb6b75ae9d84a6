// Builds the placement policy's input from what this node knows right now: heartbeat-agreed
// membership (immediate), peers' heartbeat reports (which groups they hold), its own group machines,
// and the state folded from the log (standby, moves, failcounts). Pure: time is an input.
//
// The lease rule (docs/architecture.md, "Quorum and the lease"): quorum counts only peers in `up`
// state, so a node that has not heard a majority within `warntime` loses quorum and stops its groups;
// peers take a group over only once they call its node dead, after `deadtime`. The stop must finish
// within deadtime − warntime; a slower stop is covered by fencing.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import { placementGroupsFromConfig, type Failcounts, type PlacementInput } from "@vigil/shared/placement/placement-input";
import type { NodeState } from "@vigil/shared/states";
import { explainQuorum } from "@vigil/shared/placement/quorum";
import type { NodeReport } from "@vigil/shared/heartbeat/node-report";

import { isHeard, type GroupState, type PeerLiveness } from "@vigil/shared/states";

export interface PeerInfo {
  liveness: PeerLiveness;
  /** When (ms) it last became up. */
  upSince: number | null;
  /** Its last report (decoded at the edge: admit.ts); null until one is heard. */
  report: NodeReport | null;
  /** Fenced after its last report: whatever it held is known stopped. */
  fenced: boolean;
  /** Generation last heard from it. */
  generation: number | null;
}

export interface LocalGroup {
  state: GroupState;
  failcounts: Record<string, number>;
}

export interface PlacementViewInput {
  cfg: ClusterConfig;
  self: string;
  peers: ReadonlyMap<string, PeerInfo>;
  local: ReadonlyMap<string, LocalGroup>;
  log: ClusterView;
  witness: boolean;
  now: number;
  failbackStableMs: number;
  /** A fence agent is configured: a peer that died holding groups is unclean until fenced. Without
   *  one (and without `require_fencing on`), its lease (warntime) ran out before it was called dead,
   *  so it is taken as stopped, and the start elsewhere is recorded as RecoveredWithoutFencing. */
  fencing: boolean;
  /** When this node last (re)joined a quorate membership: its own `upSince` for failback, so it
   *  judges its stability as its peers do. */
  selfUpSince?: number;
}

const isAlive = (p: PeerInfo | undefined) => isHeard(p?.liveness);
const HELD = new Set(["started", "starting", "stopping", "blocked"]);

/** A live peer that says it has no quorum (so it starts nothing) and holds nothing is no candidate.
 *  A late node counts as online so that its groups stay where they run; one that stopped them for
 *  quorum has none left to keep, and placing them on it would leave them dark for as long as it
 *  cannot hear (a one-way partition: its peers hear it, it hears none). Every peer that hears it
 *  reads the same payload, so they agree. */
const idleWithoutQuorum = (p: PeerInfo) => p.report?.noQuorum === true && p.report.running.length === 0 && p.report.blocked.length === 0;

export function buildPlacementInput(i: PlacementViewInput): { input: PlacementInput; quorumReason: string } {
  const { cfg, self, peers, log } = i;
  // ha.cf `require_fencing on`: a dead holder waits for fencing even with no fence agent to run
  // (the operator confirms it with `vigil node confirm-fenced`).
  const mustFence = i.fencing || cfg.haCf.requireFencing === true;
  const nodes = cfg.haCf.nodes.map((name) => {
    const standby = log.nodes.get(name)?.standby ?? false;
    if (name === self)
      return { name, state: (standby ? "standby" : "online") as NodeState, ...(i.selfUpSince !== undefined ? { upSince: i.selfUpSince } : {}) };
    const p = peers.get(name);
    const alive = isAlive(p);
    let state: NodeState;
    if (alive && idleWithoutQuorum(p!)) state = "offline";
    else if (alive) state = standby ? "standby" : "online";
    else state = p && mustBeFenced(p, mustFence) ? "unclean" : "offline";
    return { name, state, ...(p?.upSince != null ? { upSince: p.upSince } : {}) };
  });

  const current: Record<string, string | null> = {};
  for (const g of cfg.groups) {
    const here = i.local.get(g.id);
    if (here && HELD.has(here.state)) current[g.id] = self;
    else {
      const holder = cfg.haCf.nodes.find((n) => {
        const p = peers.get(n);
        if (!p || n === self) return false;
        // Alive: what it says it holds (decideNode's effectivePeers has already put in what peers that
        // still hear it relay, for one this node does not hear). Dead: its lease has run out and it
        // stopped what it held, unless it was blocked or (with fencing configured) must be fenced first.
        const says = !!p.report && (p.report.running.includes(g.id) || p.report.blocked.includes(g.id));
        return isAlive(p) ? says : says && mustBeFenced(p, mustFence);
      });
      current[g.id] = holder ?? null;
    }
  }

  const moves: Record<string, string> = {};
  const failcounts: Failcounts = {};
  for (const g of log.groups.values()) {
    if (g.movedTo) moves[g.id] = g.movedTo;
    for (const r of g.resources)
      for (const [node, n] of Object.entries(r.failcounts)) {
        ((failcounts[g.id] ??= {})[node] ??= {})[r.id] = n;
      }
  }
  // Local failcounts are known before the log has them.
  for (const [gid, lg] of i.local)
    for (const [rid, n] of Object.entries(lg.failcounts)) {
      const per = ((failcounts[gid] ??= {})[self] ??= {});
      per[rid] = Math.max(per[rid] ?? 0, n);
    }

  const q = quorumOf(cfg.haCf.nodes, self, peers, i.witness);
  return {
    input: {
      groups: placementGroupsFromConfig(cfg.groups),
      nodes,
      autoFailback: cfg.haCf.autoFailback,
      current,
      moves,
      failcounts,
      migrationThreshold: {},
      quorum: { hasQuorum: q.hasQuorum },
      now: i.now,
      failbackStableMs: i.failbackStableMs,
    },
    quorumReason: q.reason,
  };
}

/** The one quorum rule (quorum.ts) applied to this node's peers: only `up` ones count (the lease).
 *  Placement, QuorumLost/QuorumRegained and MembershipChanged all take it from here. */
export function quorumOf(nodes: readonly string[], self: string, peers: ReadonlyMap<string, PeerInfo>, witness: boolean) {
  const reachable = [self, ...[...peers].filter(([, p]) => p.liveness === "up").map(([n]) => n)];
  return { ...explainQuorum({ configuredNodes: nodes, reachableNodes: reachable, witnessReachable: witness }), members: reachable.sort() };
}

/** A peer whose groups cannot run elsewhere until it is fenced: it reported a blocked group (a stop
 *  failed there), or, with fencing configured, it died holding groups. */
export function mustBeFenced(p: PeerInfo, fencing: boolean): boolean {
  if (p.fenced || !p.report) return false;
  if (p.report.blocked.length > 0) return true;
  return fencing && !isHeard(p.liveness) && p.report.running.length > 0;
}

/** Exactly one node fences a victim: the first node in ha.cf order that has quorum and is alive
 *  (from this node's view), the victim excepted. */
export function isFencer(self: string, nodes: readonly string[], peers: ReadonlyMap<string, PeerInfo>, victim: string): boolean {
  const first = nodes.find((n) => n !== victim && (n === self || peers.get(n)?.liveness === "up"));
  return first === self;
}

/** heartbeat waits `initdead` before acting at start-up, so that a booting preferred node is not
 *  mistaken for a dead one: act once every peer has been heard or initdead has passed. */
export function readyToPlace(peers: ReadonlyMap<string, PeerInfo>, startedAt: number, initdeadMs: number, now: number): boolean {
  if (now - startedAt >= initdeadMs) return true;
  return [...peers.values()].every((p) => p.liveness !== "init");
}

/** A node that regains quorum learned nothing while it was without: a peer it still calls dead may
 *  be alive and hold groups taken over meanwhile, and a peer that read its "no quorum" (`noQuorum`) may
 *  be starting its groups right now, on a decision its next heartbeat has not shown yet. So after
 *  a loss (`rejoin`) it starts nothing until `deadtime` has passed since it regained quorum: by then
 *  every takeover decided on its last no-quorum report is in a heartbeat it has read. At start-up
 *  (`boot`: it never said `noQuorum` with groups to take) it may start as soon as every peer is heard
 *  directly saying it hears this node (its `vouchesFor`: a report from before could predate the peer's
 *  takeover). `peers` are as this node's own detector has them, not as relayed by others. */
export function readyAfterRegain(
  self: string,
  peers: ReadonlyMap<string, PeerInfo>,
  regainedAt: number | null,
  deadtimeMs: number,
  now: number,
  /** At start-up, a peer not heard through initdead is not waited for: it cannot have taken over
   *  anything from a node that held nothing, and what it holds others relay. */
  boot = false,
): boolean {
  if (regainedAt === null || now - regainedAt >= deadtimeMs) return true;
  if (!boot) return false;
  return [...peers.values()].every((p) => p.liveness === "dead" || (p.liveness === "up" && !!p.report?.vouchesFor?.includes(self)));
}
