// One simulated node: its heartbeat thread, which is the production heartbeat loop
// (@vigil/shared/heartbeat/heartbeat-loop) stepped on the simulator's clock, and the agent's main
// thread, which is the controller (services/agent/src/cluster/controller.ts) around the real
// decideNode. Only the controller's shell is mirrored here (onPeer, onPeerPayload, changed,
// reconcile, fence, publishPayload); every decision is the real node-decision.ts. Its groups are the
// production group machine on the node's simulated clock, acting on scripted resources
// (sim-resources.ts). The simulator stands in for sockets, timers, resource agents and the fence agent.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import { decideNode, freshMemory, type NodeDecision, type NodeMemory } from "@vigil/agent/cluster/node-decision";
import { readyAfterRegain, type LocalGroup, type PeerInfo } from "@vigil/agent/cluster/placement-view";
import type { FencedNode, NodeReport } from "@vigil/shared/heartbeat/node-report";
import { SimClock, SimResource, simGroupMachine, type ActionHost } from "./sim-resources.js";
import { startGroupActor, type GroupActor } from "@vigil/agent/groups/group-actor";
import type { GroupNotice } from "@vigil/agent/groups/group-notices";
import type { AgentMetadata } from "@vigil/resource-agents/agent-interface";
import { initLoop, step, type LoopInput, type LoopPost, type LoopState, type LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { loopInput, screenDecoded } from "@vigil/agent/heartbeat/receive-filter";
import { buildHeartbeatPayload } from "@vigil/agent/cluster/heartbeat-payload";
import { announcesNoQuorum } from "@vigil/agent/cluster/node-decision";
import { notePeerLiveness, notePeerPayload } from "@vigil/agent/cluster/peer-table";
import { groupView, type GroupState } from "@vigil/agent/groups/group-view";

/** What a node asks of the simulator. */
export interface NodeEnv {
  readonly now: number;
  readonly fencing: boolean;
  readonly failbackStableMs: number;
  witness(node: string): boolean;
  /** Run the fence agent against `victim`, last heard with `generation`. */
  fence(fencer: string, victim: string, generation: number | null): void;
  /** setImmediate: run `node`'s reconcile after what is already due at this instant. */
  wake(node: string): void;
  trace(line: string): void;
}

/** What a node's group machines need of the simulator, at any moment (their callbacks run inside
 *  whatever event drove the machine). */
export interface NodeHost extends ActionHost {
  env(): NodeEnv;
  /** Arm timer `id` of the group machines' clock of life `epoch`, for now + `ms`. */
  timer(node: string, epoch: number, ms: number, id: number): void;
  notice(node: string, group: string, n: GroupNotice): void;
}

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

/** The simulator's fences always succeed, so the controller's bounded backoff after a failure
 *  (fence-retries.ts) never applies here; this only spaces requests as its first retry would. */
const FENCE_RETRY_MS = 2_000;

export class SimNode {
  generation = 0;
  /** Not crashed or fenced. */
  up = false;
  /** SIGSTOP: neither thread runs. */
  frozen = false;
  /** Bumped at every boot and power-off: timer chains of an older life stop. */
  epoch = 0;
  /** Per group, its resources as they are on this host; they outlive the agent until a power cycle. */
  readonly resources = new Map<string, SimResource[]>();
  /** Controller.actors: the group machines of this agent's life (none before it starts). */
  private actors = new Map<string, GroupActor>();
  private clock: SimClock | null = null;
  /** Each machine's groupView state, refreshed at every snapshot (the invariants read it after every event). */
  private states = new Map<string, GroupState>();
  /** Each group's state as last traced, and whether a command's own trace line is being written. */
  private traced = new Map<string, GroupState>();
  private commanding = false;
  /** The heartbeat thread's state, and what carries out its effects. */
  private hb!: LoopState;
  private hbIo!: HeartbeatIo;
  peers = new Map<string, PeerInfo>();
  private memory: NodeMemory = freshMemory();
  private startedAt = 0;
  private fencingNow = new Set<string>();
  private fencedByMe: FencedNode[] = [];
  private lastFenceTry = new Map<string, number>();
  /** Controller.scheduled: a reconcile is already due. */
  private scheduled = false;
  /** Controller.lastPayload: the payload last handed to the worker, as JSON. */
  private lastPayload = "";
  /** The rejoin gate (readyAfterRegain) held starts back at the last decision: traced when it flips. */
  private gateClosed = false;
  private readonly log: ClusterView;
  private readonly nodes: ReadonlySet<string>;

  constructor(
    readonly name: string,
    private readonly cfg: ClusterConfig,
    private readonly host: NodeHost,
    meta: AgentMetadata,
  ) {
    this.log = emptyView(cfg.haCf.cluster);
    this.nodes = new Set(cfg.haCf.nodes);
    for (const g of cfg.groups) this.resources.set(g.id, g.resources.map((r) => new SimResource(r.id, name, g.id, meta, host)));
  }

  /** The agent's process ends (crash, power-off): its machines and the actions they run end with it;
   *  the resources stay as they are. */
  kill(): void {
    for (const a of this.actors.values()) a.stop();
    this.actors.clear();
    this.states.clear();
    this.clock = null;
  }

  /** A power cycle: nothing is configured or mounted any more. */
  wipe(): void {
    for (const rs of this.resources.values()) for (const r of rs) r.physical = "stopped";
  }

  /** A group machine's timer came due. */
  timer(id: number): void {
    this.clock?.fire(id);
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
    return this.resources.get(group)!.some((r) => r.holds);
  }

  /** Controller.localGroups: each resource's failcount here. */
  failcounts(group: string): Record<string, number> {
    const a = this.actors.get(group);
    return a ? Object.fromEntries(a.getSnapshot().context.slots.map((r) => [r.id, r.failcount])) : {};
  }

  /** The agent starts (again): a new generation and heartbeat loop, every peer unknown, nothing
   *  held. The loop's first heartbeat carries a null payload (HeartbeatService's default) until the
   *  controller starts and publishes its own. The listen before announcing takes no time here (one
   *  agent per name), but runs: a probe, then the announce as agent.ts makes it. */
  boot(env: NodeEnv, io: HeartbeatIo): void {
    this.kill();
    this.generation++;
    this.up = true;
    this.frozen = false;
    this.epoch++;
    const epoch = this.epoch;
    this.clock = new SimClock((ms, id) => this.host.timer(this.name, epoch, ms, id));
    this.startedAt = env.now;
    this.hbIo = io;
    this.hb = initLoop({ node: this.name, generation: this.generation, haCf: this.cfg.haCf, payload: null, listenFirstMs: 0, announceOnStart: false, statsIntervalMs: 5_000 }, env.now);
    this.peers = new Map(
      this.cfg.haCf.nodes.filter((n) => n !== this.name).map((n) => [n, { liveness: "init", upSince: null, report: null, fenced: false, generation: null }]),
    );
    this.memory = freshMemory();
    this.fencingNow.clear();
    this.fencedByMe = [];
    this.lastFenceTry.clear();
    this.scheduled = false;
    this.lastPayload = "";
    this.gateClosed = false;
    this.heartbeat(env, { kind: "opened" });
  }

  /** One step of the heartbeat loop; its effects are carried out at once (its counters and stats
   *  reports are not kept; a refused start cannot happen with one agent per name). */
  heartbeat(env: NodeEnv, input: LoopInput): void {
    const r = step(this.hb, input, env.now);
    this.hb = r.state;
    for (const e of r.effects) {
      if (e.kind === "send") this.hbIo.send(e.packet);
      else if (e.kind === "reply") this.hbIo.reply(e.to, e.packet);
      else if (e.kind === "wake") this.hbIo.wake(e.timer, e.at);
      else if (e.kind === "cancel") this.hbIo.cancel(e.timer);
      else if (e.kind === "post") this.onWorker(env, e.message);
    }
  }

  /** A packet read from the simulated medium: the edge's sender checks (signatures always hold here),
   *  then the loop. `from` is the sending node's name. */
  receive(env: NodeEnv, packet: WirePacket): void {
    const edge = { self: this.name, generation: this.generation, cluster: this.cfg.haCf.cluster, nodes: this.nodes };
    this.heartbeat(env, loopInput(screenDecoded(packet, edge), "sim", packet.node));
  }

  /** Heartbeats per keepalive now. */
  get copies(): number {
    return this.hb.copies.copies;
  }

  /** Controller.start: a machine per group (addGroup), each probing what runs here; publish the
   *  payload, then decide. */
  private start(env: NodeEnv): void {
    for (const g of this.cfg.groups) {
      const actor = startGroupActor(
        { group: g.id, node: this.name, resources: this.resources.get(g.id)! },
        { clock: this.clock!, machine: simGroupMachine, onNotice: (n) => this.onNotice(g.id, n) },
      );
      this.actors.set(g.id, actor);
      actor.subscribe(() => this.groupChanged(g.id));
      this.traced.set(g.id, "stopped");
      actor.send({ type: "PROBE", run: false, cause: "agent start: probing what runs here" });
    }
    this.publishPayload(env);
    this.changed(env);
  }

  /** What the heartbeat thread posts reaches the main thread. "ready" (HeartbeatService.start
   *  resolves): agent.ts announces the node, then starts the controller. "payload" → onPeerPayload,
   *  "transition" → onPeerTransition → onPeer; each wakes the controller, whose reconcile runs once
   *  after everything due at this instant (setImmediate). */
  private onWorker(env: NodeEnv, m: LoopPost): void {
    if (m.type === "ready") {
      this.heartbeat(env, { kind: "announce" });
      this.start(env);
      return;
    }
    if (m.type === "payload") this.onPeerPayload(m.peer, m.payload);
    else if (m.type === "transition") this.onPeer(env, m.transition);
    else return;
    this.changed(env);
  }

  /** Controller.tick (the agent's timer, a witness's change callback). */
  tick(env: NodeEnv): void {
    this.changed(env);
  }

  /** Controller.changed: coalesce bursts into one reconcile, taken after pending I/O. */
  changed(env: NodeEnv): void {
    if (this.scheduled) return;
    this.scheduled = true;
    env.wake(this.name);
  }

  /** The setImmediate callback of Controller.changed. */
  woken(env: NodeEnv): void {
    this.scheduled = false;
    this.reconcile(env);
  }

  /** Controller.onPeer (the agent passes the transition's `to`, `at` and generation). */
  private onPeer(env: NodeEnv, t: Transition): void {
    env.trace(`${this.name} sees ${t.peer} ${t.from} → ${t.to} (silent ${round(t.silentMs)} ms${t.stalled ? ", own stall" : ""}${t.unvouched ? ", does not hear us" : ""})`);
    notePeerLiveness(this.peers, t.peer, t.to, t.at, t.generation);
  }

  /** Controller.onPeerPayload. */
  private onPeerPayload(peer: string, payload: NodeReport | null): void {
    notePeerPayload(this.peers, peer, payload);
  }

  /** The machine's subscription (Controller.addGroup): wake the controller; trace a new state. */
  private groupChanged(group: string): void {
    const env = this.host.env();
    const state = groupView(this.actors.get(group)!.getSnapshot()).state;
    this.states.set(group, state);
    const before = this.traced.get(group);
    if (!this.commanding && state !== before) {
      env.trace(`${this.name} ${group} ${before} → ${state}`);
      this.traced.set(group, state);
    }
    this.changed(env);
  }

  /** Controller.onNotice: the notice would be appended to the log; the simulator keeps and traces it. */
  private onNotice(group: string, n: GroupNotice): void {
    const env = this.host.env();
    this.host.notice(this.name, group, n);
    if (n.type === "ResourceFailed") env.trace(`${this.name} ${group} ${n.resource} ${n.op} failed (rc ${n.rc}: ${n.message}), failcount ${n.failcount}`);
    else if (n.type === "GroupBlocked" || n.type === "FenceRequested") env.trace(`${this.name} ${group} ${n.type}: ${n.cause}`);
    this.changed(env);
  }

  /** The fence agent this node ran against `victim` succeeded (the victim is powered off). */
  fenced(env: NodeEnv, victim: string, generation: number | null): void {
    this.fencingNow.delete(victim);
    const p = this.peers.get(victim);
    if (p) p.fenced = true;
    this.fencedByMe = [...this.fencedByMe.filter((f) => f.node !== victim), { node: victim, generation }];
    this.changed(env);
  }

  /** decideNode on this node's present knowledge, without acting (the settle check). */
  peek(env: NodeEnv): NodeDecision {
    return decideNode(this.decisionInput(env));
  }

  /** Controller.reconcile: publish the payload, decide, fence, STOP, START. A command that changes a
   *  group's goal changes its machine's snapshot, whose subscription wakes the controller again. */
  private reconcile(env: NodeEnv): void {
    if (!this.actors.size) return; // Controller.reconcile: not started
    this.publishPayload(env);
    const d = decideNode(this.decisionInput(env));
    this.memory = d.memory;
    if (d.quorum.change) this.publishPayload(env);
    if (!d.ready || !d.placement) return;
    if (d.quorum.change) env.trace(`${this.name} quorum ${d.quorum.change}: ${d.quorum.reason}`);
    this.traceGate(env, d);
    for (const f of d.fence) this.fence(env, f.victim, f.why);
    // Controller.reconcile sends STOP only when the goal is not stopped yet, START only when it
    // changes the goal or the group is stopped. The machine's subscription wakes this again.
    const act = (id: string, cmd: "START" | "STOP", cause: string) => {
      const a = this.actors.get(id)!;
      const was = a.getSnapshot();
      if (cmd === "STOP" ? was.context.goal === "stopped" : was.context.goal === "started" && this.groupState(id) !== "stopped") return;
      const before = `${this.groupState(id)}/${was.context.goal}`;
      this.commanding = true;
      a.send({ type: cmd, cause });
      this.commanding = false;
      const now = a.getSnapshot();
      const state = this.groupState(id);
      this.traced.set(id, state);
      if (`${state}/${now.context.goal}` !== before) env.trace(`${this.name} ${id} ${before} → ${state}/${now.context.goal}: ${cause}`);
    };
    for (const s of d.stop) act(s.group, "STOP", s.cause);
    for (const s of d.start) act(s.group, "START", s.cause);
  }

  /** Traces when the rejoin gate (placement-view.ts readyAfterRegain, as decideNode calls it) closes
   *  and opens again. */
  private traceGate(env: NodeEnv, d: NodeDecision): void {
    const closed = !readyAfterRegain(this.name, this.peers, d.memory.regainedAt, this.cfg.haCf.deadtimeMs, env.now);
    if (closed && !this.gateClosed) env.trace(`${this.name} rejoin gate closed: no start until every peer is up and hears ${this.name}, or deadtime`);
    if (!closed && this.gateClosed) env.trace(`${this.name} rejoin gate open`);
    this.gateClosed = closed;
  }

  private decisionInput(env: NodeEnv) {
    return {
      cfg: this.cfg,
      self: this.name,
      peers: this.peers,
      local: this.localGroups(),
      log: this.log,
      witness: env.witness(this.name),
      now: env.now,
      startedAt: this.startedAt,
      failbackStableMs: env.failbackStableMs,
      fencing: env.fencing,
      memory: this.memory,
    };
  }

  /** Controller.fence: one fence at a time per victim, a failed one retried no sooner than 2 s. */
  private fence(env: NodeEnv, victim: string, why: string): void {
    const p = this.peers.get(victim);
    if (!env.fencing || !p || this.fencingNow.has(victim)) return;
    if (env.now - (this.lastFenceTry.get(victim) ?? -Infinity) < FENCE_RETRY_MS) return;
    this.lastFenceTry.set(victim, env.now);
    this.fencingNow.add(victim);
    env.trace(`${this.name} fences ${victim}: ${why}`);
    env.fence(this.name, victim, p.generation);
  }

  private localGroups(): Map<string, LocalGroup> {
    const m = new Map<string, LocalGroup>();
    for (const id of this.actors.keys()) m.set(id, { state: this.groupState(id), failcounts: this.failcounts(id) });
    return m;
  }

  /** Controller.publishPayload: the same buildHeartbeatPayload, handed to the worker only when it changed. */
  private publishPayload(env: NodeEnv): void {
    const payload = buildHeartbeatPayload([...this.actors.keys()].map((id) => [id, this.groupState(id)] as [string, GroupState]), this.peers, this.fencedByMe, announcesNoQuorum(this.memory));
    const key = JSON.stringify(payload);
    if (key === this.lastPayload) return;
    this.lastPayload = key;
    this.heartbeat(env, { kind: "payload", payload });
  }
}


const round = (x: number) => Math.round(x * 10) / 10;
