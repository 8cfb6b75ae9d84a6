// One simulated node: its heartbeat thread, which is the production heartbeat loop stepped on the
// simulator's clock, and the agent's main thread, which is the production Controller, its group
// machines and (two-node clusters) the PingWitness, all on the node's simulated timers
// (sim-timers.ts) and acting on scripted resources (sim-resources.ts), and its side of the event log
// (sim-log.ts SimAgentLog: outbox, publisher, follower and its fold, watchdog, rebuild). What is left
// here is the agent's composition: it hands the loop's posts to the controller, the controller's
// events to the outbox and the follower's newly applied events to the controller, and the
// controller's log calls, events and the machines' state changes to the simulator's trace.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import { initLoop, step, type LoopInput, type LoopPost, type LoopState, type LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { Controller, type ControllerDeps, type ControllerLog } from "@vigil/agent/cluster/controller";
import type { FenceResult } from "@vigil/agent/cluster/fence-agent";
import type { NodeDecision } from "@vigil/agent/cluster/node-decision";
import { PingWitness } from "@vigil/agent/cluster/ping-witness";
import { startGroupActor, type GroupActor } from "@vigil/agent/groups/group-actor";
import { groupView, type GroupState } from "@vigil/agent/groups/group-view";
import { loopInput, screenDecoded } from "@vigil/agent/heartbeat/receive-filter";
import type { AgentMetadata } from "@vigil/resource-agents/agent-interface";
import { SimResource, simGroupMachine, type ActionHost } from "./sim-resources.js";
import { SimTimers, type TimerKind } from "./sim-timers.js";
import { SimAgentLog, type RestoreContext, type SimLog } from "./sim-log.js";
import { VERSION } from "@vigil/agent/agent";
import { serializeView, snapshotFor } from "@vigil/agent/events/view-snapshot";
import { configLoadedBody, decideReload, REJECTED_CAUSE, reloadedEvent, type ReadConfig } from "@vigil/agent/cluster/sighup";
import { peerTransition, type MembershipState } from "@vigil/agent/membership/membership-events";
import type { WitnessModel } from "./sim-options.js";

/** What a node asks of the simulator. */
export interface NodeHost extends ActionHost {
  now(): number;
  readonly fencing: boolean;
  readonly failbackStableMs: number;
  readonly witnessModel: WitnessModel;
  /** The `ideal` witness: reachable exactly while the node's link is up. */
  reachesWitness(node: string): boolean;
  /** Run the fence agent against `victim`; `done` is called as an event of the queue. */
  fence(fencer: string, victim: string, done: (r: FenceResult) => void): void;
  /** Arm timer `id` of `node`'s main thread in life `epoch`, for now + `ms`. */
  arm(node: string, epoch: number, kind: TimerKind, ms: number, id: number): void;
  /** The cluster's event log. */
  readonly log: SimLog;
  /** Run `node`'s log machinery (SimAgentLog.poll) at `at` (life `epoch`), unless it runs sooner. */
  pollLog(node: string, epoch: number, at: number): void;
  /** The ping witness's `ping` child starts; its replies come back through pingReply(). */
  spawnPing(node: string, epoch: number): void;
  /** An event the agent wrote: recorded (d.record), a group machine's notice (d.append), or a
   *  membership event of the detector's transitions. */
  logged(node: string, e: VigilEvent, how: LoggedHow): void;
  /** A line of the run's trace. */
  note(line: string): void;
}

export type LoggedHow = "record" | "append" | "membership";

/** The simulator's clock and network, as the heartbeat loop's effects need them. */
export interface HeartbeatIo {
  /** Broadcast one packet on the node's medium. */
  send(packet: WirePacket): void;
  /** One packet to one node (an answer to a probe). */
  reply(to: string, packet: WirePacket): void;
  /** Arm `timer` for `at`, replacing the one armed before. */
  wake(timer: LoopTimer, at: number): void;
  cancel(timer: LoopTimer): void;
}

/** What a reply line of `ping` looks like (PingWitness.onLine reads these). */
const PING_REPLY = "64 bytes from 198.51.100.254: icmp_seq=1 ttl=64 time=0.1 ms";

export class SimNode {
  generation = 0;
  /** Not crashed or fenced. */
  up = false;
  /** SIGSTOP: neither thread runs. */
  frozen = false;
  /** Bumped at every boot and power-off: timers and events of an older life are dropped. */
  epoch = 0;
  /** Per group, its resources as they are on this host; they outlive the agent until a power cycle. */
  readonly resources = new Map<string, SimResource[]>();
  /** This life's main thread: controller, witness, group machines (none before the loop is ready). */
  private controller: Controller | null = null;
  private witness: PingWitness | null = null;
  private timers: SimTimers | null = null;
  private actors = new Map<string, GroupActor>();
  /** Each machine's groupView state, refreshed at every snapshot (the invariants read it after every event). */
  private states = new Map<string, GroupState>();
  /** Each machine's state and goal as last traced. */
  private traced = new Map<string, { state: GroupState; goal: string }>();
  /** The heartbeat thread's state, and what carries out its effects. */
  private hb!: LoopState;
  private hbIo!: HeartbeatIo;
  private eventCount = 0;
  private readonly log: ControllerLog;
  /** The agent's side of the event log; it outlives the agent's lives (the outbox is a file). */
  private agentLog: SimAgentLog | null = null;
  /** The state dir's view.json: the fold as the agent last saved it (agent.ts saveSnapshot). */
  private snapshot: string | null = null;
  /** The log's last seq this life's fold must reach before the controller starts (agent.ts waits
   *  for the follower to catch up, at most initdead). */
  private catchUpTo: number | null = null;
  /** This life's membership (agent.ts: the peers heard, for NodeUp/NodeDead and MembershipChanged). */
  private membership: MembershipState = { self: "", alive: new Set() };
  private record: ControllerDeps["record"] | null = null;
  /** What the edge's sender checks know of this life (made once per generation, not per packet). */
  private edge: { self: string; generation: number; cluster: string; nodes: ReadonlySet<string> } | null = null;

  /** What this life runs with (a SIGHUP changes it), the files as it last read them, and the files
   *  on the host now (what the next life reads). */
  private cfg: ClusterConfig;
  private lastRead: ClusterConfig;
  private disk: ClusterConfig;
  /** A SIGHUP that came while the agent was starting: read once it has started (agent.ts runAgent). */
  private hupWhileStarting = false;

  constructor(
    readonly name: string,
    cfg: ClusterConfig,
    private readonly host: NodeHost,
    private readonly meta: AgentMetadata,
  ) {
    this.cfg = this.lastRead = this.disk = cfg;
    this.addResources(cfg);
    const line = (level: string) => (fields: object, msg: string) => {
      // An info line about an event restates what logged() traces already.
      if (level === "info" && "event" in fields) return;
      this.host.note(`${this.name} ${level === "info" ? "" : `${level}: `}${msg}`);
    };
    this.log = { info: line("info"), warn: line("warn"), error: line("error") };
  }

  /** Resources for the groups of `cfg` this host has none of yet (the host's state of each). */
  private addResources(cfg: ClusterConfig, fresh: ReadonlySet<string> = new Set()): void {
    for (const g of cfg.groups)
      if (!this.resources.has(g.id) || fresh.has(g.id)) this.resources.set(g.id, g.resources.map((r) => new SimResource(r.id, this.name, g.id, this.meta, this.host)));
  }

  /** The operator put new files on this host. */
  setDisk(cfg: ClusterConfig): void {
    this.disk = cfg;
  }

  /** SIGHUP: agent.ts reload() with what the files say (decideReload), the resources of added and
   *  redefined groups built from the simulator's, and the controller reconfigured. */
  sighup(read: ReadConfig): void {
    const c = this.controller;
    if (!c || this.catchUpTo !== null) {
      this.hupWhileStarting = true;
      return;
    }
    const d = decideReload(read, this.lastRead, this.cfg, c.groupsActiveHere());
    if (d.kind === "unchanged") return this.host.note(`${this.name} configuration unchanged`);
    if (d.kind === "rejected") return void this.record!("ConfigRejected", { errors: d.errors }, REJECTED_CAUSE);
    const fresh = new Set(d.build.groups.map((g) => g.id));
    this.addResources(d.build, fresh);
    this.lastRead = d.next;
    this.cfg = d.plan.effective;
    void c.reconfigure(d.plan.effective, this.resources, d.plan);
    for (const p of d.plan.pending) this.host.note(`${this.name} warn: ${p}`);
    const e = reloadedEvent(d.plan, d.next.dir);
    this.record!("ConfigLoaded", e.body, e.cause);
  }

  /** The agent's process ends (crash, power-off): its machines and the actions they run end with it;
   *  the resources stay as they are. */
  kill(): void {
    for (const a of this.actors.values()) a.stop();
    this.actors.clear();
    this.states.clear();
    this.traced.clear();
    this.controller = null;
    this.witness = null;
    this.timers = null;
    this.catchUpTo = null;
  }

  /** A power cycle: nothing is configured or mounted any more. */
  wipe(): void {
    for (const rs of this.resources.values()) for (const r of rs) r.physical = "stopped";
  }

  /** A main-thread timer of this life came due. */
  timer(id: number): void {
    this.timers?.fire(id);
  }

  /** The log machinery's turn: publish, read into the fold, look, rebuild; each newly applied event
   *  goes to the controller (LogFollower's onEvent), a swapped-in refold ticks it (onRefolded). */
  logPoll(): void {
    const a = this.agentLog;
    const c = this.controller;
    if (!a || !c) return;
    const s = a.poll(this.host.now());
    for (const e of s.applied) c.onLogEvent(e);
    if (s.refolded) c.tick();
    for (const why of s.lost) this.host.note(`${this.name} log lost: ${why}`);
    for (const f of s.failed) this.host.note(`${this.name} publish of ${f.id} failed: ${f.why}${f.stored === null ? "" : ` (stored as #${f.stored}: the ack was lost)`}`);
    if (s.restarted) this.host.note(`${this.name} log reader restarted by the watchdog`);
    if (this.catchUpTo !== null && a.fold.target.lastSeq >= this.catchUpTo) this.startController();
    if (s.nextAt !== null) this.host.pollLog(this.name, this.epoch, s.nextAt);
  }

  /** The agent's side of the log (null before its first start). */
  get logSide(): SimAgentLog | null {
    return this.agentLog;
  }

  /** The `ping` child wrote a reply line, and the agent reads it. */
  pingReply(): void {
    this.witness?.onLine(PING_REPLY);
  }

  /** The operator's view of `group` here (stopped before the agent started its machines). */
  groupState(group: string): GroupState {
    return this.states.get(group) ?? "stopped";
  }

  /** Holds `group` (an address configured, a disk mounted), wholly or in part: a resource of it is
   *  physically there. The machine's actions make it so (a start begun holds; a stop holds until it
   *  succeeded); a crashed agent's resources, and one whose stop failed or hung, stay until a power
   *  cycle. What the machine believes (a failed probe's `stopping`) holds nothing by itself. */
  holds(group: string): boolean {
    return this.resources.get(group)?.some((r) => r.holds) ?? false;
  }

  /** Each resource's failcount in this life's machine. */
  failcounts(group: string): Record<string, number> {
    const a = this.actors.get(group);
    return a ? Object.fromEntries(groupView(a.getSnapshot()).resources.map((r) => [r.id, r.failcount])) : {};
  }

  /** What the controller would decide now (the settle check); null before it started. */
  peek(): NodeDecision | null {
    return this.controller?.peekDecision() ?? null;
  }

  /** Heartbeats per keepalive now. */
  get copies(): number {
    return this.hb.copies.copies;
  }

  /** The agent starts (again): a new generation and heartbeat loop, nothing held. The loop's first
   *  heartbeat carries a null payload (HeartbeatService's default) until the controller publishes its
   *  own. The listen before announcing takes no time here (one agent per name), but runs. */
  boot(io: HeartbeatIo): void {
    this.kill();
    // A new process reads the files as they are now.
    this.cfg = this.lastRead = this.disk;
    this.addResources(this.cfg);
    this.hupWhileStarting = false;
    this.generation++;
    this.up = true;
    this.frozen = false;
    this.epoch++;
    const epoch = this.epoch;
    this.timers = new SimTimers((kind, ms, id) => this.host.arm(this.name, epoch, kind, ms, id));
    this.eventCount = 0;
    this.hbIo = io;
    this.hb = initLoop(
      { node: this.name, generation: this.generation, haCf: this.cfg.haCf, payload: null, listenFirstMs: 0, announceOnStart: false, statsIntervalMs: 5_000 },
      this.host.now(),
    );
    this.heartbeat({ kind: "opened" });
  }

  /** One step of the heartbeat loop; its effects are carried out at once (its counters and stats
   *  reports are not kept; a refused start cannot happen with one agent per name). */
  heartbeat(input: LoopInput): void {
    const r = step(this.hb, input, this.host.now());
    this.hb = r.state;
    for (const e of r.effects) {
      if (e.kind === "send") this.hbIo.send(e.packet);
      else if (e.kind === "reply") this.hbIo.reply(e.to, e.packet);
      else if (e.kind === "wake") this.hbIo.wake(e.timer, e.at);
      else if (e.kind === "cancel") this.hbIo.cancel(e.timer);
      else if (e.kind === "post") this.onWorker(e.message);
    }
  }

  /** A packet read from the simulated medium: the edge's sender checks (signatures always hold here),
   *  then the loop. */
  receive(packet: WirePacket): void {
    if (this.edge?.generation !== this.generation) this.edge = { self: this.name, generation: this.generation, cluster: this.cfg.haCf.cluster, nodes: new Set(this.cfg.haCf.nodes) };
    this.heartbeat(loopInput(screenDecoded(packet, this.edge), "sim", packet.node));
  }

  /** What the heartbeat thread posts reaches the main thread, as agent.ts wires it. */
  private onWorker(m: LoopPost): void {
    if (m.type === "ready") this.ready();
    else if (m.type === "payload") this.controller?.onPeerPayload(m.peer, m.payload);
    else if (m.type === "transition") this.onTransition(m.transition);
  }

  /** agent.ts onPeerTransition: production's peerTransition (the controller, then the membership events). */
  private onTransition(t: Transition): void {
    this.host.note(`${this.name} sees ${t.peer} ${t.from} → ${t.to} (silent ${round(t.silentMs)} ms${t.stalled ? ", own stall" : ""}${t.unvouched ? ", does not hear us" : ""})`);
    const c = this.controller;
    if (!c || !this.agentLog) return;
    const { state, events, changed } = peerTransition(this.membership, t, c, { id: () => this.nextId(), node: this.name });
    this.membership = state;
    for (const e of events) this.write(e, "membership");
    if (changed) this.record!("MembershipChanged", { members: changed.members, quorum: changed.quorum }, changed.cause);
  }

  /** agent.ts's outbox append and publisher kick. */
  private write(e: VigilEvent, how: LoggedHow): void {
    this.agentLog!.append(e);
    this.host.logged(this.name, e, how);
    this.host.pollLog(this.name, this.epoch, this.host.now());
  }

  /** agent.ts saveSnapshot: the live fold, named by its stream (none while a refold is under way). */
  saveSnapshot(): void {
    const a = this.agentLog;
    const created = a?.fold.streamCreated;
    if (!a || !created || !this.controller) return;
    this.snapshot = serializeView(a.live, created);
    this.host.note(`${this.name} saved its fold's snapshot at #${a.live.lastSeq}`);
  }

  /** agent.ts loadSnapshot: the saved fold, if NATS answers and the stream as it is can continue it. */
  private restoredView(now: number): { view: ClusterView; created: string } | null {
    const log = this.host.log;
    if (this.snapshot === null) return null;
    if (!log.reachable(this.name, now) || !log.exists) {
      this.host.note(`${this.name} ${log.exists ? "cannot reach NATS" : "finds no stream"}: its snapshot waits, it folds from nothing`);
      return null;
    }
    const stream = { created: log.created!, firstSeq: log.entries()[0]?.seq ?? 1, lastSeq: log.lastSeq };
    const view = snapshotFor(this.snapshot, this.cfg.haCf.cluster, stream);
    this.host.note(`${this.name} ${view ? `folds on from its snapshot at #${view.lastSeq}` : "cannot continue its snapshot: folds the whole log"}`);
    return view ? { view, created: stream.created } : null;
  }

  /** HeartbeatService.start resolved: agent.ts opens the outbox and publisher, makes the controller,
   *  announces the node and follows the log; once the fold caught up (or after initdead) it starts
   *  the witness, then the controller, and ticks it periodically. The fold starts from the state
   *  dir's snapshot when the stream can continue it, else empty. */
  private ready(): void {
    const timers = this.timers!;
    const haCf = this.cfg.haCf;
    const witnessed = haCf.pingNodes.length > 0;
    const now = this.host.now();
    const restored = this.restoredView(now);
    const view = restored?.view ?? emptyView(haCf.cluster);
    const created = restored?.created ?? null;
    if (!this.agentLog) this.agentLog = new SimAgentLog(this.host.log, { node: this.name, view, streamCreated: created, now, restore: () => this.restoreContext() });
    else this.agentLog.restart(now, view, created);
    this.membership = { self: this.name, alive: new Set() };
    const record: ControllerDeps["record"] = (type, body, cause) => {
      const e = makeEvent(type, body, { id: this.nextId(), node: this.name, time: this.host.now(), cause });
      this.write(e, "record");
      return e;
    };
    this.record = record;
    // The agent's own first words (the fold learns the groups from ConfigLoaded).
    record("AgentStarted", { generation: this.generation, version: VERSION, pid: 1000 + this.generation }, "agent started");
    record("ConfigLoaded", configLoadedBody(this.cfg), `configuration read from ${this.cfg.dir}`);
    this.controller = new Controller({
      cfg: this.cfg,
      self: this.name,
      log: this.log,
      view,
      resources: this.resources,
      record,
      append: (e) => this.write(e, "append"),
      nextId: () => this.nextId(),
      setPayload: (payload) => this.heartbeat({ kind: "payload", payload }),
      witness: () => (this.host.witnessModel === "ping" ? (this.witness?.answering() ?? false) : witnessed && this.host.reachesWitness(this.name)),
      now: () => this.host.now(),
      failbackStableMs: this.host.failbackStableMs,
      ...(this.host.fencing ? { fence: (victim: string, done: (r: FenceResult) => void) => this.host.fence(this.name, victim, done) } : {}),
      timers,
      startGroup: (input, opts) => this.adopt(input.group, startGroupActor(input, { ...opts, clock: timers, machine: simGroupMachine })),
    });
    this.heartbeat({ kind: "announce" });
    this.catchUpTo = this.host.log.lastSeq;
    timers.timeout(() => this.startController(), haCf.initdeadMs);
    this.logPoll();
  }

  /** The wait for the log is over: the witness, then the controller, and its periodic tick. */
  private startController(): void {
    const timers = this.timers!;
    const haCf = this.cfg.haCf;
    if (this.catchUpTo === null || !this.controller) return;
    this.catchUpTo = null;
    if (haCf.pingNodes.length > 0 && this.host.witnessModel === "ping") {
      const interval = Math.max(20, Math.floor(haCf.keepaliveMs / 2));
      this.witness = new PingWitness({ nodes: [], intervalMs: interval, leaseMs: haCf.warntimeMs, now: () => this.host.now(), timers });
      this.witness.watch((answering) => {
        this.host.note(`${this.name} ${answering ? "a ping node answers" : "no ping node answers"}`);
        this.controller?.tick();
      });
      this.host.spawnPing(this.name, this.epoch);
    }
    this.controller.start();
    timers.interval(() => this.controller?.tick(), Math.max(250, haCf.keepaliveMs));
    if (this.hupWhileStarting) {
      this.hupWhileStarting = false;
      this.host.note(`${this.name} SIGHUP came while starting: reading the configuration again`);
      this.sighup({ ok: true, value: this.disk });
    }
  }

  /** A group machine the controller started: its state is kept for the invariants and its changes
   *  traced (a changed goal is a command, traced with its cause). */
  private adopt(group: string, actor: GroupActor): GroupActor {
    this.actors.set(group, actor);
    const first = actor.getSnapshot();
    this.states.set(group, groupView(first).state);
    this.traced.set(group, { state: groupView(first).state, goal: first.context.goal });
    actor.subscribe((s) => {
      const state = groupView(s).state;
      const goal = s.context.goal;
      this.states.set(group, state);
      const before = this.traced.get(group)!;
      if (goal !== before.goal) this.host.note(`${this.name} ${group} ${before.state}/${before.goal} → ${state}/${goal}: ${s.context.nextCause ?? s.context.cause}`);
      else if (state !== before.state) this.host.note(`${this.name} ${group} ${before.state} → ${state}`);
      this.traced.set(group, { state, goal });
    });
    return actor;
  }

  /** What agent.ts restoreLog gives a rebuild of a lost log. */
  private restoreContext(): RestoreContext {
    const q = this.controller?.liveView().quorum;
    return {
      generation: this.generation,
      config: configLoadedBody(this.cfg),
      ...(q ? { membership: { members: q.members, quorum: q.has, reason: q.reason } } : {}),
      nextId: () => this.nextId(),
    };
  }

  private nextId(): string {
    return `${this.name}.${this.generation}.${++this.eventCount}`;
  }
}

const round = (x: number) => Math.round(x * 10) / 10;
