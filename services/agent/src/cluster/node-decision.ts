// One node's whole decision, pure: from what it knows now (peers' liveness and reports, its own
// groups, the folded log) and what it remembers (quorum history, where it placed groups), to what it
// must do: groups to start and stop, nodes to fence, quorum changes and the placement to record.
// The controller is the shell around it; the simulator in test/sim runs that controller.
import { decidePlacement } from "@vigil/shared/placement/policy";
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { isHeard } from "@vigil/shared/states";
import { choiceWait, foldBehind, probeWait } from "./start-agreement.js";
import type { PlacementResult } from "@vigil/shared/placement/placement-input";
import {
  buildPlacementInput,
  isFencer,
  mustBeFenced,
  quorumOf,
  readyAfterRegain,
  readyToPlace,
  type PeerInfo,
  type PlacementViewInput,
} from "./placement-view.js";

export interface NodeMemory {
  lastQuorum: boolean | null;
  /** When quorum was (re)gained: after being lost, or for the first time after start (null: never). */
  regainedAt: number | null;
  /** The first quorum after start waits only for peers this node hears; a regain waits for all. */
  regainKind: "boot" | "rejoin";
  /** When this node last joined a quorate membership: its own upSince for failback. */
  selfUpSince: number | null;
  /** Groups this node's placement put on each peer while the peer was alive: if the peer dies before
   *  a heartbeat said it started them, it may hold them anyway (fencing decides). */
  placedOn: ReadonlyMap<string, ReadonlySet<string>>;
}

export const freshMemory = (): NodeMemory => ({ lastQuorum: null, regainedAt: null, regainKind: "boot", selfUpSince: null, placedOn: new Map() });

/** Whether this node's heartbeat reports no quorum (`noQuorum`): only after it had quorum once. At start-up a
 *  node has none until its peers vouch for it, and saying so then made them take its groups at
 *  every boot, to fail them back a moment later. */
export const announcesNoQuorum = (m: NodeMemory): boolean => m.lastQuorum === false && m.selfUpSince !== null;

/** This node found it was stalled past its lease (SIGSTOP, a VM pause): its quorum lapsed with the
 *  lease, so its next quorum is a rejoin. It starts nothing until deadtime has passed
 *  (readyAfterRegain), and its failback stability restarts. */
export const afterStall = (m: NodeMemory): NodeMemory => ({ ...m, lastQuorum: false });

export interface NodeDecisionInput extends Omit<PlacementViewInput, "selfUpSince"> {
  startedAt: number;
  memory: NodeMemory;
}

export interface NodeDecision {
  memory: NodeMemory;
  /** False until initdead has passed or every peer was heard (nothing else is decided before). */
  ready: boolean;
  quorum: { has: boolean; reason: string; change: "lost" | "regained" | null; members: string[] };
  placement: PlacementResult | null;
  current: Record<string, string | null>;
  /** `unfencedFrom`: a dead, unfenced peer last said it held the group (a start on its lease alone). */
  start: { group: string; cause: string; from: string | null; unfencedFrom?: string }[];
  stop: { group: string; cause: string }[];
  /** Nodes this node is the one to fence now (the shell keeps retries and in-flight fences apart). */
  fence: { victim: string; why: string }[];
  /** False while the rejoin gate (readyAfterRegain) holds starts back. */
  gateOpen: boolean;
  /** Why starts wait: this node's fold is behind one a peer has folded or heard of (start-agreement.ts); null: it is not. */
  foldWait: string | null;
  /** Where this placement puts each group no node holds, which the heartbeat carries (start-agreement.ts);
   *  null while this node places nothing (not ready, or no quorum). */
  choices: Record<string, string> | null;
  /** Starts this decision wants that wait for a peer to place the group here too. */
  waiting: { group: string; why: string }[];
}

const alive = (p: PeerInfo | undefined) => isHeard(p?.liveness);

/** Peers as quorum and placement must see them. A peer that does not hear this node (its heartbeat's
 *  `vouchesFor` lacks us) is alive but outside the quorum (late): otherwise a node whose outgoing packets are
 *  lost keeps quorum while that peer calls it dead and takes its groups. A peer this node calls dead
 *  that another up peer still hears is alive too (late), holding what it last said. A dead, unfenced
 *  peer is taken to hold what it held or what this node placed on it while it was alive. */
export function effectivePeers(self: string, peers: ReadonlyMap<string, PeerInfo>, placedOn: NodeMemory["placedOn"]): Map<string, PeerInfo> {
  const out = new Map<string, PeerInfo>();
  for (const [n, p] of peers) {
    const vouches = p.report?.vouchesFor ?? null;
    const heardByOthers = [...peers].some(([m, q]) => m !== n && q.liveness === "up" && !!q.report?.hears.includes(n) && !!q.report.vouchesFor?.includes(self));
    let e: PeerInfo = p;
    // Mutual only: a peer that says it does not hear this node, or has said nothing yet (its first
    // packets at start-up carry no payload), is late, not up. Counting a silent one made a booting
    // node's quorum flip on and off (up, then vouching for none, then up), and its no-quorum report between made the peer
    // take its groups, to fail them back a second later.
    if (p.liveness === "up" && (!p.report || (vouches !== null && !vouches.includes(self)))) e = { ...p, liveness: "late" };
    else if (p.liveness === "dead" && heardByOthers) {
      // Its own last report is stale: what it holds now is what the peers that hear it relay.
      const relayed = new Set<string>();
      for (const [m, q] of peers) if (m !== n && q.liveness === "up") for (const g of q.report?.peersRunning[n] ?? []) relayed.add(g);
      e = { ...p, liveness: "late", report: nodeReport({ running: [...relayed], blocked: p.report?.blocked ?? [] }) };
    }
    const placed = [...(placedOn.get(n) ?? [])].filter((g) => !e.report?.running.includes(g));
    if (e.liveness === "dead" && !e.fenced && e.report && placed.length > 0) e = { ...e, report: { ...e.report, running: [...e.report.running, ...placed] } };
    out.set(n, e);
  }
  return out;
}

/** This node's quorum as its decision sees it (effective peers, the lease), for the agent's own
 *  MembershipChanged events too: one rule, so the log never says two things at once. */
export function nodeQuorum(i: Pick<NodeDecisionInput, "cfg" | "self" | "peers" | "memory" | "witness">): { hasQuorum: boolean; reason: string; members: string[] } {
  return quorumOf(i.cfg.haCf.nodes, i.self, effectivePeers(i.self, i.peers, i.memory.placedOn), i.witness);
}

export function decideNode(i: NodeDecisionInput): NodeDecision {
  const { cfg, self, now } = i;
  const peers = effectivePeers(self, i.peers, i.memory.placedOn);
  const ready = readyToPlace(i.peers, i.startedAt, cfg.haCf.initdeadMs, now);
  const base = (inputMemory: NodeMemory, q: NodeDecision["quorum"]): NodeDecision => ({
    memory: inputMemory,
    ready,
    quorum: q,
    placement: null,
    current: {},
    start: [],
    stop: [],
    fence: [],
    gateOpen: true,
    foldWait: null,
    choices: null,
    waiting: [],
  });
  // Quorum first: it sets this node's own upSince, which placement reads.
  const { hasQuorum: has, reason, members } = nodeQuorum(i);
  // The first decision reports only a loss (a start without quorum); later ones every change.
  const change: NodeDecision["quorum"]["change"] = i.memory.lastQuorum === has ? null : has ? (i.memory.lastQuorum === null ? null : "regained") : "lost";
  const memory: NodeMemory = {
    ...i.memory,
    lastQuorum: has,
    selfUpSince: has && i.memory.lastQuorum !== true ? now : i.memory.selfUpSince,
    // Also at the first quorum after start: a peer's packet already in flight may predate its
    // takeover of a group this node is about to start (the simulator's boot race).
    regainedAt: has && i.memory.lastQuorum !== true ? now : i.memory.regainedAt,
    regainKind: has && i.memory.lastQuorum !== true ? (i.memory.lastQuorum === null ? "boot" : "rejoin") : i.memory.regainKind,
  };
  const quorum = { has, reason, change, members };
  if (!ready) return base(i.memory, { ...quorum, change: null });

  const { input } = buildPlacementInput({ ...viewInput(i, peers), ...(memory.selfUpSince !== null ? { selfUpSince: memory.selfUpSince } : {}) });
  const releasing = new Set([...i.local].filter(([, g]) => g.state === "stopping").map(([id]) => id));
  resolveDoubleHolders(input.current, self, peers, cfg.haCf.nodes, releasing);
  // Nor is it its to keep against a dead peer that died holding it and must be fenced first: the
  // group stays that peer's (unclean) until the fence, instead of "staying" here and starting.
  const mustFence = i.fencing || cfg.haCf.requireFencing === true;
  for (const g of releasing) {
    if (input.current[g] !== self) continue;
    const unclean = cfg.haCf.nodes.find((n) => n !== self && !alive(peers.get(n)) && mustBeFenced(peers.get(n)!, mustFence) && !!peers.get(n)!.report?.running.includes(g));
    if (unclean) input.current[g] = unclean;
  }
  const placement = decidePlacement(input);
  const canStart = readyAfterRegain(self, i.peers, memory.regainedAt, cfg.haCf.deadtimeMs, now, memory.regainKind === "boot");
  const d = base(memory, quorum);
  d.placement = placement;
  d.current = input.current;
  d.gateOpen = canStart;
  d.foldWait = foldBehind(i.log.inputsSeq, peers);
  d.choices = has ? unheldChoices(cfg.groups, placement.placement, input.current) : null;

  for (const g of cfg.groups) {
    const state = i.local.get(g.id)?.state ?? "stopped";
    const want = placement.placement[g.id] === self;
    const cause = placement.reasons[g.id] ?? "";
    const holder = input.current[g.id] ?? null;
    const holdsHere = state === "started" || state === "starting";
    if (holdsHere && holder !== null && holder !== self) {
      d.stop.push({ group: g.id, cause: `${holder} holds ${g.id} too; ${holder} keeps it (first in ha.cf order)` });
    } else if (want && canStart && d.foldWait === null && (holder === null || holder === self) && (state === "stopped" || state === "stopping")) {
      // (A `failed` group waits for cleanup: its failcount keeps it off this node anyway.)
      // Never start while a live peer holds the group: a handoff waits for its heartbeat to release it.
      // Its own last word (not what this node placed on it): a peer that stopped cleanly said it held nothing.
      // Not while a live peer has yet to probe it. A group no node holds: only once every peer able to
      // start it places it here too.
      const wait = probeWait(g.id, peers) ?? (holder === null ? choiceWait(self, g.id, peers) : null);
      if (wait) {
        d.waiting.push({ group: g.id, why: wait });
        continue;
      }
      const unfenced = holder === null ? diedHolding(i.peers, g.id) : undefined;
      d.start.push({ group: g.id, cause, from: holder === self ? null : holder, ...(unfenced ? { unfencedFrom: unfenced } : {}) });
    } else if (!want && holdsHere) {
      d.stop.push({ group: g.id, cause });
    }
  }

  // Remember what was placed on live peers (fenceIfPlaced); forget it once they are heard again.
  const placedOn = new Map<string, Set<string>>();
  for (const [n, p] of i.peers) {
    const kept = alive(p) ? new Set<string>() : new Set(memory.placedOn.get(n) ?? []);
    if (alive(p)) for (const [g, at] of Object.entries(placement.placement)) if (at === n) kept.add(g);
    if (kept.size > 0) placedOn.set(n, kept);
  }
  d.memory = { ...memory, placedOn };

  if (has && i.fencing)
    for (const [victim, p] of peers)
      if (mustBeFenced(p, true) && isFencer(self, cfg.haCf.nodes, peers, victim))
        d.fence.push({
          victim,
          why: p.report?.blocked.length ? `${victim} has blocked groups: ${p.report.blocked.join(", ")}` : `${victim} died holding ${p.report?.running.join(", ")}`,
        });
  return d;
}

/** Where the placement puts each group no node holds. */
function unheldChoices(groups: readonly { id: string }[], placement: Record<string, string | null>, current: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const g of groups) {
    const at = placement[g.id];
    if (at && current[g.id] == null) out[g.id] = at;
  }
  return out;
}

/** A dead peer, not fenced, whose last word was that it holds `group`. */
function diedHolding(peers: ReadonlyMap<string, PeerInfo>, group: string): string | undefined {
  for (const [n, p] of peers) if (p.liveness === "dead" && !p.fenced && !!p.report?.running.includes(group)) return n;
  return undefined;
}

/** The placement view's input: this decision's, with the effective peers. */
function viewInput(i: NodeDecisionInput, peers: ReadonlyMap<string, PeerInfo>): PlacementViewInput {
  const { startedAt: _s, memory: _m, ...rest } = i;
  return { ...rest, peers };
}

/** Two live nodes report one group (a stall or a partial partition can cause it; it must end): every
 *  node takes the first of them in ha.cf order as the group's holder, so the others stop it. A group
 *  this node is stopping (`releasing`) is not its to keep against a live peer that holds it: after a
 *  stall, the thawed node stopping first must not win it back from the peer that took it over. */
export function resolveDoubleHolders(
  current: Record<string, string | null>,
  self: string,
  peers: ReadonlyMap<string, PeerInfo>,
  nodes: readonly string[],
  releasing: ReadonlySet<string> = new Set(),
): void {
  for (const g of Object.keys(current)) {
    const holds = (n: string) => (n === self ? current[g] === self : alive(peers.get(n)) && !!peers.get(n)?.report?.running.includes(g));
    const holders = nodes.filter(holds);
    const others = holders.filter((n) => n !== self);
    if (current[g] === self && releasing.has(g) && others.length > 0) current[g] = others[0]!;
    else if (holders.length > 1) current[g] = holders[0]!;
  }
}
