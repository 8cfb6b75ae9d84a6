// Runs this node's share of the cluster: decides placement whenever anything it depends on changes,
// and drives one group machine per group to match. Decisions use heartbeat membership and the state
// already folded; they never wait for a log write (DESIGN: "Failover must not wait for the log").
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import type { EventBody, EventType, VigilEvent } from "@vigil/shared/events/vocabulary";
import type { Resource } from "@vigil/resource-agents/agent-interface";
import { onceGroup, startGroupActor, whenGroup, type GroupActor } from "../groups/group-actor.js";
import type { GroupInput } from "../groups/group-context.js";
import { groupView, type GroupState } from "../groups/group-view.js";
import { buildHeartbeatPayload } from "./heartbeat-payload.js";
import { notePeerLiveness, notePeerPayload } from "./peer-table.js";
import { noticeToEvent, type GroupNotice } from "../groups/group-notices.js";
import type { LocalGroup, PeerInfo } from "./placement-view.js";
import type { PeerLiveness } from "@vigil/shared/states";
import type { FencedNode, NodeReport, WireReport } from "@vigil/shared/heartbeat/node-report";
import { afterStall, decideNode, announcesNoQuorum, effectivePeers, freshMemory, nodeQuorum, type NodeDecision, type NodeMemory } from "./node-decision.js";
import { supersededBy } from "@vigil/shared/placement/tiebreak";
import { FENCE_MAX_ATTEMPTS, mayFence, retryDelayMs, type FenceTries } from "./fence-retries.js";
import type { FenceResult } from "./fence-agent.js";
import { nodeTimers, type TimerId, type Timers } from "./timers.js";

/** The log calls the controller makes (a pino Logger has them). */
export interface ControllerLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Runs the fence agent against `victim` and reports through `done`. A callback, not a promise: the
 *  simulator calls `done` as an event of its own queue, in virtual time; a promise would resolve in a
 *  microtask, which a synchronous simulation never reaches, and outside its event order. */
export type FenceRunner = (victim: string, done: (r: FenceResult) => void) => void;

/** A fence agent that returns a promise (fence-agent.ts), as a FenceRunner. */
export const fenceRunner =
  (run: (victim: string) => Promise<FenceResult>): FenceRunner =>
  (victim, done) =>
    void run(victim).then(done);

export interface ControllerDeps {
  cfg: ClusterConfig;
  self: string;
  log: ControllerLog;
  view: ClusterView;
  resources: ReadonlyMap<string, readonly Resource[]>;
  record: <T extends EventType>(type: T, body: EventBody<T>, cause: string) => VigilEvent;
  append: (e: VigilEvent) => void;
  nextId: () => string;
  setPayload: (p: WireReport) => void;
  witness: () => boolean;
  now: () => number;
  failbackStableMs: number;
  /** Runs the configured fence agent against a node; absent when no `fence` line is configured. */
  fence?: FenceRunner;
  /** The address lease (the lease worker): whether this node was stalled past its lease. */
  lease?: NodeLease;
  /** Two-node `tiebreaker nats`: told before each decision whether the peer is up (the witness then
   *  comes from the lease), and asked for the fencing token every GroupStarting carries. */
  tiebreak?: { observe(peerUp: boolean, ownGroups: number, peerGroups: number): void; token(): number | null };
  /** Node's timers unless given (the simulator's queue). */
  timers?: Timers;
  /** How a group machine is started (startGroupActor unless given: the simulator's runs on its clock
   *  with its resource actions). */
  startGroup?: (input: GroupInput, opts: { onNotice: (n: GroupNotice) => void }) => GroupActor;
}

/** What the controller reads of the lease worker, synchronously, before every decision. */
export interface NodeLease {
  /** Stalls past the lease found so far (the worker stopped renewing what it held at each). */
  lapses(): number;
  /** Thawed, and the worker has not ticked since: its verdict is not in yet. */
  unconfirmed(): boolean;
  /** The last lapse's stall, for the reason recorded. */
  readonly lastGapMs: number;
  readonly timing: { tickMs: number };
}

export class Controller {
  private actors = new Map<string, GroupActor>();
  private peers = new Map<string, PeerInfo>();
  private lastPlacement = "";
  private lastPayload = "";
  private memory: NodeMemory = freshMemory();
  private readonly startedAt: number;
  private stopped = false;
  /** Group machines exist (start() ran); before that there is nothing to drive. */
  private started = false;
  private scheduled = false;
  private lastHolder = new Map<string, string | null>();
  private fencing = new Set<string>();
  private fencedByMe: FencedNode[] = [];
  /** Failed fence attempts per victim (fence-retries.ts), until it is fenced, confirmed or heard. */
  private fenceTries = new Map<string, FenceTries>();
  /** The quorum this node last wrote to the log (MembershipChanged, QuorumLost/Regained): the next
   *  decision that differs writes the change, so the latest report always says what this node does. */
  private reportedQuorum: boolean | null = null;
  private seenLapses = 0;
  private leaseRecheck: TimerId | null = null;
  /** Wakes the controller when the rejoin gate (deadtime after a regained quorum) opens. */
  private gateWake: TimerId | null = null;
  /** The rejoin gate as last logged. */
  private gateOpen = true;
  /** Why starts wait for this node's fold to catch up, as last logged (null: they need not). */
  private foldWait: string | null = null;
  /** Why each group's start waits for the peers, as last logged. */
  private startWaits = new Map<string, string>();
  /** The last decision's choices (start-agreement.ts), which the heartbeat carries. */
  private choices: Record<string, string> | null = null;
  /** Tie-breaker tokens: the newest seen in the log, and the one each group here was started with. */
  private newestToken = 0;
  private startTokens = new Map<string, number>();
  private tiebreakPeerSeen = false;
  private readonly timers: Timers;

  constructor(private readonly d: ControllerDeps) {
    this.startedAt = d.now();
    this.timers = d.timers ?? nodeTimers;
    for (const n of d.cfg.haCf.nodes)
      if (n !== d.self) this.peers.set(n, { liveness: "init", upSince: null, report: null, fenced: false, generation: null });
    // The first heartbeat already says that this node's groups are not probed yet.
    this.publishPayload();
  }

  /** Probes every group (finds resources left running by an earlier life) and starts deciding. */
  start(): void {
    for (const g of this.d.cfg.groups) this.addGroup(g.id, this.d.resources.get(g.id) ?? [], "agent start: probing what runs here");
    this.started = true;
    this.publishPayload();
    this.changed();
  }

  private addGroup(id: string, resources: readonly Resource[], cause: string): void {
    const failcounts: Record<string, number> = {};
    for (const r of this.d.view.groups.get(id)?.resources ?? []) failcounts[r.id] = r.failcounts[this.d.self] ?? 0;
    const actor = (this.d.startGroup ?? startGroupActor)({ group: id, node: this.d.self, resources, failcounts, leaseSound: () => !this.leaseInDoubt() }, { onNotice: (n) => this.onNotice(id, n) });
    actor.subscribe(() => this.changed());
    this.actors.set(id, actor);
    actor.send({ type: "PROBE", run: false, cause });
  }

  /** Groups not stopped here (running, starting, stopping, failed or blocked): a reload leaves their
   *  definitions alone. */
  groupsActiveHere(): Set<string> {
    const active = (a: GroupActor) => groupView(a.getSnapshot()).state !== "stopped" || a.getSnapshot().matches("probing");
    return new Set([...this.actors].filter(([, a]) => active(a)).map(([id]) => id));
  }

  /** SIGHUP: run with `cfg` from now on. Removed groups are stopped here first (a blocked one stays,
   *  advertised, until cleanup); added and redefined ones get a machine that probes what runs. */
  async reconfigure(
    cfg: ClusterConfig,
    resources: ReadonlyMap<string, readonly Resource[]>,
    plan: { added: readonly string[]; removed: readonly string[]; redefined: readonly string[] },
    timeoutMs = 60_000,
  ): Promise<void> {
    this.d.cfg = cfg;
    for (const id of plan.redefined) {
      this.actors.get(id)?.stop();
      this.actors.delete(id);
    }
    for (const id of [...plan.added, ...plan.redefined]) this.addGroup(id, resources.get(id) ?? [], "configuration reloaded: probing the group");
    this.changed();
    await Promise.all(
      plan.removed.map(
        (id) =>
          new Promise<void>((resolve) => {
            const a = this.actors.get(id);
            if (!a) return resolve();
            a.send({ type: "STOP", cause: "group removed from haresources" });
            onceGroup(a, ["stopped", "blocked", "failed"], timeoutMs, this.timers, (s) => {
              if (!s || groupView(s).state === "blocked") this.d.log.error({ group: id }, "removed group did not stop cleanly; it stays known here until cleanup");
              else {
                a.stop();
                this.actors.delete(id);
                this.changed();
              }
              resolve();
            });
          }),
      ),
    );
  }

  onPeer(peer: string, liveness: PeerLiveness, at: number, generation: number | null = null): void {
    if (liveness === "up") this.fenceTries.delete(peer);
    if (notePeerLiveness(this.peers, peer, liveness, at, generation)) this.changed();
  }

  onPeerPayload(peer: string, payload: NodeReport | null): void {
    if (notePeerPayload(this.peers, peer, payload)) this.changed();
  }

  /** This node's quorum now, by the rule its decisions use, for its MembershipChanged event (which
   *  then counts as reported). */
  quorumForMembership(): { has: boolean; reason: string } {
    const q = nodeQuorum({ cfg: this.d.cfg, self: this.d.self, peers: this.peers, memory: this.memory, witness: this.d.witness() });
    this.reportedQuorum = q.hasQuorum;
    return { has: q.hasQuorum, reason: q.reason };
  }

  /** Membership and quorum as this node sees them now (the local socket's live view). */
  liveView(): {
    quorum: { has: boolean; reason: string; members: string[] };
    peers: Record<string, string>;
    groups: Record<string, { node: string | null; state: string }>;
    unclean: string[];
  } {
    const q = nodeQuorum({ cfg: this.d.cfg, self: this.d.self, peers: this.peers, memory: this.memory, witness: this.d.witness() });
    const groups: Record<string, { node: string | null; state: string }> = {};
    for (const [id, g] of this.localGroups()) {
      const live = [...this.peers].filter(([, p]) => p.liveness === "up" || p.liveness === "late");
      const blockedOn = live.find(([, p]) => p.report?.blocked.includes(id))?.[0];
      const heldBy = live.find(([, p]) => p.report?.running.includes(id))?.[0];
      groups[id] =
        g.state !== "stopped"
          ? { node: this.d.self, state: g.state }
          : heldBy
            ? { node: heldBy, state: "started" }
            : blockedOn
              ? { node: blockedOn, state: "blocked" }
              : { node: null, state: "stopped" };
    }
    // Dead, not fenced, and its own last heartbeat said it held something: it may still.
    const unclean = [...this.peers].filter(([, p]) => p.liveness === "dead" && !p.fenced && (p.report?.running.length ?? 0) > 0).map(([n]) => n);
    return { quorum: { has: q.hasQuorum, reason: q.reason, members: q.members }, peers: Object.fromEntries([...this.peers].map(([n, p]) => [n, p.liveness])), groups, unclean };
  }

  /** The folded log changed (operator command or another node's fact). */
  onLogEvent(e: VigilEvent): void {
    if (this.d.tiebreak) this.checkToken(e);
    // A fence by a peer, or the operator's confirmation that the node is down (`confirm-fenced`).
    if ((e.type === "Fenced" && e.ok && e.node !== this.d.self) || e.type === "FenceConfirmed") {
      const v = this.peers.get(e.victim);
      if (v && v.liveness !== "up") v.fenced = true;
      this.fenceTries.delete(e.victim);
    }
    if (e.type === "CleanupRequested") {
      const a = this.actors.get(e.group);
      a?.send({ type: "CLEANUP", cause: e.cause });
      if (a) this.d.record("FailcountCleared", { group: e.group, on: this.d.self }, `cleanup of ${e.group} requested`);
    }
    this.changed();
  }

  /** Periodic re-evaluation: initdead expiry, failback stability delay. */
  tick(): void {
    this.changed();
  }

  /** SIGTERM: stop every group, last group first, each right to left; wait until stopped or blocked. */
  async stopAll(timeoutMs: number): Promise<void> {
    this.stopped = true;
    // It starts nothing from now on: no peer waits for its word (start-agreement.ts).
    this.choices = null;
    if (this.leaseRecheck) this.timers.clear(this.leaseRecheck);
    if (this.gateWake) this.timers.clear(this.gateWake);
    for (const g of [...this.d.cfg.groups].reverse()) {
      const a = this.actors.get(g.id);
      if (!a) continue;
      a.send({ type: "STOP", cause: "agent stopping" });
      await whenGroup(a, ["stopped", "blocked", "failed"], { timeoutMs }).catch(() => this.d.log.error({ group: g.id }, "group did not stop in time"));
    }
    this.publishPayload();
  }

  localGroups(): Map<string, LocalGroup> {
    const m = new Map<string, LocalGroup>();
    for (const [id, a] of this.actors) {
      const v = groupView(a.getSnapshot());
      m.set(id, { state: v.state, failcounts: Object.fromEntries(v.resources.map((r) => [r.id, r.failcount])) });
    }
    return m;
  }

  private changed(): void {
    // Coalesce bursts (a notice per resource, several transitions at once) into one decision, taken
    // after pending I/O: a decision that changes something wakes this again, and must never starve
    // the event loop (child exits, signals, sockets).
    if (this.scheduled) return;
    this.scheduled = true;
    this.timers.immediate(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  private reconcile(): void {
    if (!this.started) return;
    if (!this.stopped && this.d.lease && this.stallFirst(this.d.lease)) return;
    this.publishPayload();
    if (this.stopped) return;
    const now = this.d.now();
    const local = this.localGroups();
    if (this.d.tiebreak) this.observeTiebreak(local);
    const d = this.decide(local, now);
    this.memory = d.memory;
    const choicesChanged = JSON.stringify(d.choices) !== JSON.stringify(this.choices);
    this.choices = d.choices;
    // A quorum change or a new choice shows in the next heartbeat (`nq`, `c`), not one reconcile later.
    if (d.quorum.change || choicesChanged) this.publishPayload();
    const gateOpensIn = d.memory.regainedAt === null ? 0 : d.memory.regainedAt + this.d.cfg.haCf.deadtimeMs - now;
    if (gateOpensIn > 0 && !this.gateWake) this.gateWake = this.timers.timeout(() => ((this.gateWake = null), this.changed()), gateOpensIn + 1);
    if (!d.ready || !d.placement) return;
    if (d.gateOpen !== this.gateOpen) {
      this.gateOpen = d.gateOpen;
      const held =
        d.memory.regainKind === "boot"
          ? `no start until every peer not dead is up and hears ${this.d.self}, or deadtime`
          : `no start until deadtime has passed since quorum was regained`;
      this.d.log.info({ rejoinGate: d.gateOpen ? "open" : "closed" }, d.gateOpen ? "rejoin gate open" : `rejoin gate closed: ${held}`);
    }
    if (d.foldWait !== this.foldWait) {
      this.foldWait = d.foldWait;
      this.d.log.info({ foldBehind: d.foldWait !== null }, d.foldWait === null ? "fold caught up: starts may go ahead" : `starts wait: ${d.foldWait}`);
    }
    // Each group's start that waits for the peers (start-agreement.ts), said once per reason.
    const waits = new Map(d.waiting.map((w) => [w.group, w.why]));
    for (const [group, why] of waits) if (this.startWaits.get(group) !== why) this.d.log.info({ group, startWaits: true }, `${group} start waits: ${why}`);
    this.startWaits = waits;
    if (d.quorum.has !== this.reportedQuorum) {
      this.reportedQuorum = d.quorum.has;
      this.d.record(d.quorum.has ? "QuorumRegained" : "QuorumLost", { members: d.quorum.members }, d.quorum.reason);
    }
    // Reasons too: after `resource clear` the group may stay put, but no longer "moved by operator".
    const key = JSON.stringify(d.placement);
    if (key !== this.lastPlacement) {
      this.lastPlacement = key;
      this.d.record("PlacementDecided", d.placement, describe(d.placement.placement));
    }
    for (const f of d.fence) this.fence(f.victim, f.why, now);
    // Send a command only when it changes the group's goal: every accepted event updates the
    // machine's snapshot and wakes this again, so repeating one would loop forever.
    for (const s of d.stop) {
      const a = this.actors.get(s.group)!;
      if (a.getSnapshot().context.goal !== "stopped") a.send({ type: "STOP", cause: s.cause });
    }
    for (const s of d.start) {
      const a = this.actors.get(s.group)!;
      // In `stopped` a START always moves the machine on; elsewhere it only sets the goal.
      if (a.getSnapshot().context.goal === "started" && groupView(a.getSnapshot()).state !== "stopped") continue;
      this.lastHolder.set(s.group, s.from);
      if (s.unfencedFrom)
        this.d.record(
          "RecoveredWithoutFencing",
          { group: s.group, victim: s.unfencedFrom },
          `${s.unfencedFrom} died holding ${s.group} and is not fenced; starting it here on the strength of its lease (require_fencing off)`,
        );
      a.send({ type: "START", cause: s.cause });
    }
  }

  /** What this node would decide now, acting on nothing and remembering nothing (the simulator's
   *  settle check; null before start()). */
  peekDecision(): NodeDecision | null {
    return this.started ? this.decide(this.localGroups(), this.d.now()) : null;
  }

  private decide(local: ReadonlyMap<string, LocalGroup>, now: number): NodeDecision {
    return decideNode({
      cfg: this.d.cfg,
      self: this.d.self,
      peers: this.peers,
      local,
      log: this.d.view,
      witness: this.d.witness(),
      now,
      startedAt: this.startedAt,
      failbackStableMs: this.d.failbackStableMs,
      fencing: !!this.d.fence,
      memory: this.memory,
    });
  }

  /** The peer as quorum sees it (effective: up only while both directions are fresh). */
  private observeTiebreak(local: ReadonlyMap<string, LocalGroup>): void {
    const peer = this.d.cfg.haCf.nodes.find((n) => n !== this.d.self);
    const p = peer === undefined ? undefined : effectivePeers(this.d.self, this.peers, this.memory.placedOn).get(peer);
    const own = [...local.values()].filter((g) => g.state === "started" || g.state === "starting").length;
    // Not asked at start until the peer has been up once or initdead has passed (a peer heard one way
    // only, or not yet, is normal then): asking at boot took the lease from a peer about to be heard,
    // and a split soon after then went to the booting node.
    if (p?.liveness === "up") this.tiebreakPeerSeen = true;
    const booting = !this.tiebreakPeerSeen && this.d.now() - this.startedAt < this.d.cfg.haCf.initdeadMs;
    this.d.tiebreak!.observe(p?.liveness === "up" || booting, own, this.peers.get(peer ?? "")?.report?.running.length ?? 0);
  }

  /** Another node started a group this node holds, on a newer tie-breaker token: it won a later lease
   *  than the one this node started the group on (this node was stalled, or lost the lease unseen). */
  private checkToken(e: VigilEvent): void {
    if (e.type === "TiebreakerWon") this.newestToken = Math.max(this.newestToken, e.token);
    if (e.type !== "GroupStarting" || e.tiebreakToken === undefined || e.restored) return;
    this.newestToken = Math.max(this.newestToken, e.tiebreakToken);
    if (e.node === this.d.self) return;
    const a = this.actors.get(e.group);
    const state = a ? groupView(a.getSnapshot()).state : "stopped";
    if (!a || (state !== "started" && state !== "starting") || a.getSnapshot().context.goal === "stopped") return;
    const own = this.startTokens.get(e.group) ?? null;
    if (!supersededBy(own, e.tiebreakToken)) return;
    const cause = `${e.node} started ${e.group} on tie-breaker token ${e.tiebreakToken}, newer than this node's ${own ?? "none"}: it holds a later lease; stopping ${e.group} here`;
    this.d.log.warn({ group: e.group, token: e.tiebreakToken, own }, cause);
    a.send({ type: "STOP", cause });
  }

  /** Stalled past the lease, and not yet acted on (stallFirst): no group may start anything by itself. */
  private leaseInDoubt(): boolean {
    const lease = this.d.lease;
    return !!lease && (lease.unconfirmed() || lease.lapses() !== this.seenLapses);
  }

  /** A node that finds it was stalled past its lease stops what it holds before anything else: its
   *  peers may have taken it over, and its addresses' lifetimes ran out or are about to. Until the
   *  lease worker's verdict is in (just thawed), nothing is decided. True: do not decide now. */
  private stallFirst(lease: NodeLease): boolean {
    if (lease.unconfirmed()) {
      this.leaseRecheck ??= this.timers.timeout(() => ((this.leaseRecheck = null), this.changed()), lease.timing.tickMs);
      return true;
    }
    const lapses = lease.lapses();
    if (lapses === this.seenLapses) return false;
    this.seenLapses = lapses;
    const cause = `this node was stalled for ${lease.lastGapMs} ms, past its lease: stopping what it holds before anything else`;
    this.d.log.warn({ stalledMs: lease.lastGapMs }, cause);
    this.memory = afterStall(this.memory);
    for (const [, a] of this.actors) {
      const s = a.getSnapshot();
      if (s.context.goal !== "stopped" || groupView(s).state !== "stopped") a.send({ type: "STOP", cause });
    }
    this.publishPayload();
    return true;
  }

  private onNotice(group: string, n: GroupNotice): void {
    const token = n.type === "GroupStarting" && this.d.tiebreak ? this.d.tiebreak.token() : null;
    if (n.type === "GroupStarting" && this.d.tiebreak) this.startTokens.set(group, Math.max(token ?? 0, this.newestToken));
    const e = noticeToEvent(token !== null && n.type === "GroupStarting" ? { ...n, tiebreakToken: token } : n, { id: this.d.nextId(), node: this.d.self, time: this.d.now() });
    this.d.append(e);
    this.d.log.info({ event: e.type, group, ...("resource" in n ? { resource: n.resource } : {}) }, n.cause);
    if (n.type === "GroupStarted") {
      const from = this.lastHolder.get(group) ?? null;
      if (from !== this.d.self && from !== null) this.d.record("GroupMoved", { group, from, to: this.d.self }, `${group} now runs on ${this.d.self}`);
      this.lastHolder.set(group, this.d.self);
    }
    this.changed();
  }

  /** Runs the fence agent once at a time per victim; a failure is retried later and later, a bounded
   *  number of times (fence-retries.ts). Until it succeeds the victim stays unclean: its groups wait. */
  private fence(victim: string, why: string, now: number): void {
    const fence = this.d.fence;
    const p = this.peers.get(victim);
    if (!fence || !p || this.fencing.has(victim)) return;
    const tries = this.fenceTries.get(victim);
    if (!mayFence(tries, now)) return;
    const attempt = (tries?.attempts ?? 0) + 1;
    this.fencing.add(victim);
    const generation = p.generation;
    this.d.record("FenceRequested", { victim }, attempt > 1 ? `${why} (attempt ${attempt} of ${FENCE_MAX_ATTEMPTS})` : why);
    fence(victim, (r) => {
      this.fencing.delete(victim);
      if (r.ok) {
        this.fenceTries.delete(victim);
        this.d.record("Fenced", { victim, ok: true, rc: r.rc, message: r.message, attempt }, `fence agent succeeded against ${victim}`);
        p.fenced = true;
        this.fencedByMe = [...this.fencedByMe.filter((f) => f.node !== victim), { node: victim, generation }];
      } else if (!p.fenced) {
        this.fenceTries.set(victim, { attempts: attempt, lastAt: this.d.now() });
        const next = retryDelayMs(attempt);
        const cause =
          `fence agent failed against ${victim} (attempt ${attempt} of ${FENCE_MAX_ATTEMPTS}, exit ${r.rc}: ${r.message}); ` +
          `the groups ${victim} held stay stopped until it is fenced; ` +
          (next === null ? `gave up: once ${victim} is known down, vigil node confirm-fenced ${victim}` : `next attempt in ${next / 1000} s`);
        this.d.log.error({ event: "Fenced", victim, rc: r.rc, attempt, nextAttemptMs: next }, cause);
        this.d.record("Fenced", { victim, ok: false, rc: r.rc, message: r.message, attempt, nextAttemptMs: next }, cause);
      }
      this.changed();
    });
  }

  private publishPayload(): void {
    const states = [...this.actors].map(([id, a]): [string, GroupState] => [id, groupView(a.getSnapshot()).state]);
    // Until its probe answers, a group may be here (left by a kill -9 of the last agent): say so, from
    // the first heartbeat on, so that no peer starts it meanwhile.
    const probing = this.started ? [...this.actors].filter(([, a]) => a.getSnapshot().matches("probing")).map(([id]) => id) : this.d.cfg.groups.map((g) => g.id);
    const payload = buildHeartbeatPayload(states, this.peers, this.fencedByMe, announcesNoQuorum(this.memory), { inputsSeq: this.d.view.inputsSeq, choices: this.choices }, probing);
    const key = JSON.stringify(payload);
    if (key === this.lastPayload) return;
    this.lastPayload = key;
    this.d.setPayload(payload);
  }
}

function describe(placement: Record<string, string | null>): string {
  return Object.entries(placement)
    .map(([g, n]) => `${g} → ${n ?? "nowhere"}`)
    .join(", ");
}
