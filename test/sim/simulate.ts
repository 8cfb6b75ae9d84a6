// The discrete-event simulator: a whole cluster in one process on a virtual clock. Heartbeats, ticks,
// group actions, fences and faults are events in one queue; every duration and every lost packet
// comes from the seed, so a seed replays a run exactly (TigerBeetle/FoundationDB style).
import { controllerTickMs, failbackStableMs, witnessIntervalMs } from "@vigil/shared/config/derived-timing";
import type { AutoFailback } from "@vigil/shared/config/schemas";
import { EventQueue } from "./event-queue.js";
import { describeFault, drawSchedule, type Fault } from "./fault-schedule.js";
import { doubleHoldings, settleProblems, type DoubleHolding } from "./invariants.js";
import { Network } from "./network.js";
import { createRng, type Rng } from "./prng.js";
import { SimNode, type HeartbeatIo, type NodeEnv, type NodeHost } from "./sim-node.js";
import type { SimResource } from "./sim-resources.js";
import type { ResourceOp } from "@vigil/agent/groups/group-context";
import type { GroupNotice } from "@vigil/agent/groups/group-notices";
import type { GroupState } from "@vigil/agent/groups/group-view";
import { OCF, type ActionResult } from "@vigil/resource-agents/agent-interface";
import type { LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { clusterConfig, type SimOptions } from "./sim-options.js";

export interface RunResult {
  seed: number;
  autoFailback: AutoFailback;
  schedule: Fault[];
  /** The first instant two nodes held one group, if any. */
  violation: { at: number; holdings: DoubleHolding[] } | null;
  /** Liveness problems after the faults healed and the cluster had `settleMs` (empty: settled). */
  unsettled: string[];
  /** Every notable step (faults, peer transitions, quorum, group actions, fences), time first. */
  trace: string[];
  /** Everything the group machines reported, in order. */
  notices: { at: number; node: string; group: string; notice: GroupNotice }[];
  /** At the end, per node and group: the machine's state, its failcounts, and whether the host holds it. */
  groups: Record<string, Record<string, { state: GroupState; failcounts: Record<string, number>; holds: boolean }>>;
  endedAt: number;
  events: number;
}

type TimerKind = "ctick" | "ping" | "wpoll";

/** Periodic timers: the controller's tick, the ping child's echo and the ping witness's change
 *  poll. `epoch` ends a chain when its node's life ends. */
type TimerEvent = { kind: TimerKind; node: string; epoch: number };

type SimEvent =
  | TimerEvent
  /** A heartbeat loop's timer (its `wake` effect); a newer wake of the same timer supersedes it. */
  | { kind: "hb"; node: string; epoch: number; timer: LoopTimer; token: number }
  /** Controller.changed's setImmediate. */
  | { kind: "reconcile"; node: string; epoch: number }
  /** PingWitness.armLeaseEnd's timer: lastAnswer + lease + 1 ms. */
  | { kind: "lease-end"; node: string; epoch: number; token: number }
  | { kind: "pong"; node: string; epoch: number }
  | { kind: "deliver"; to: string; packet: WirePacket }
  /** A resource action finishes (its process exits); `call` was cancelled if the agent killed it. */
  | { kind: "action-done"; node: string; epoch: number; call: number }
  /** A timer of the node's group machines (op timeout, monitor interval). */
  | { kind: "gtimer"; node: string; epoch: number; id: number }
  | { kind: "fenced"; fencer: string; victim: string; generation: number | null }
  | { kind: "fault"; fault: Fault; begin: boolean }
  | { kind: "boot"; node: string; token: number };

/** Virtual time after which a run stops whatever happens, and a bound on events (a decision that
 *  woke itself forever at one instant would never advance the clock): every loop is bounded. */
const HARD_LIMIT_MS = 120_000;
const MAX_EVENTS = 2_000_000;
const AUTO_FAILBACK: readonly AutoFailback[] = ["on", "off", "legacy"];

export function simulate(o: SimOptions, seed: number, over: { schedule?: Fault[] } = {}): RunResult {
  return new Simulation(o, seed, over.schedule).run();
}

/** A run's schedule and trace as text, enough to understand and replay it. */
export function describeRun(r: RunResult, lines = 60): string {
  const head = [`seed ${r.seed} (auto_failback ${r.autoFailback})`, "schedule:", ...r.schedule.map((f) => `  ${describeFault(f)}`)];
  if (r.violation) head.push(`VIOLATION at ${r.violation.at} ms: ${r.violation.holdings.map((h) => `${h.group} held by ${h.holders.join(" and ")}`).join("; ")}`);
  if (r.unsettled.length) head.push(`UNSETTLED at ${r.endedAt} ms: ${r.unsettled.join("; ")}`);
  const tail = r.trace.length > lines ? [`  … ${r.trace.length - lines} earlier lines`, ...r.trace.slice(-lines)] : r.trace;
  return [...head, "trace:", ...tail.map((l) => `  ${l}`)].join("\n");
}

/** A resource action under way: what it will answer, unless it is killed first. */
interface Call {
  resource: SimResource;
  op: ResourceOp;
  result: ActionResult;
  done: (r: ActionResult) => void;
}

class Simulation implements NodeHost {
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Rng;
  /** Monitor durations: a stream of their own, so that monitors leave the other draws as they were. */
  private readonly monitorRng: Rng;
  private readonly net: Network;
  private readonly nodes: SimNode[];
  private readonly byName: Map<string, SimNode>;
  private readonly groupIds: string[];
  private readonly cfg;
  private readonly autoFailback: AutoFailback;
  private readonly schedule: Fault[];
  /** Timer periods as the agent sets them (agent.ts, ping-witness.ts). */
  private readonly period: Record<TimerKind, number>;
  private readonly trace: string[] = [];
  /** Events for a SIGSTOPped node, handled at SIGCONT. */
  private readonly deferred = new Map<string, SimEvent[]>();
  private readonly lastAnswer = new Map<string, number>();
  private readonly wasAnswering = new Map<string, boolean>();
  /** PingWitness.leaseTimer, as a token: a newer answer supersedes (clearTimeout) the armed one. */
  private readonly leaseToken = new Map<string, number>();
  private readonly bootToken = new Map<string, number>();
  /** Per node, the token of each heartbeat timer's armed wake (clearTimeout: a newer token). */
  private readonly hbTokens = new Map<string, Map<LoopTimer, number>>();
  private readonly notices: RunResult["notices"] = [];
  private readonly calls = new Map<number, Call>();
  private lastCall = 0;
  /** Per node, resource and op: how many calls so far (a script's `nth`). */
  private readonly callCounts = new Map<string, number>();
  private now = 0;
  private quietFrom = 0;
  private violation: RunResult["violation"] = null;

  constructor(
    private readonly o: SimOptions,
    private readonly seed: number,
    schedule?: Fault[],
  ) {
    const root = createRng(seed);
    const scheduleRng = root.fork(1);
    this.rng = root.fork(2);
    this.net = new Network(root.fork(3));
    this.monitorRng = root.fork(4);
    this.autoFailback = o.autoFailback ?? scheduleRng.pick(AUTO_FAILBACK);
    this.schedule = schedule ?? drawSchedule(o, scheduleRng);
    this.cfg = clusterConfig(o, this.autoFailback);
    const meta = { name: "Scripted", description: "simulated resource", parameters: [], timeouts: o.resourceTimeouts, monitorIntervalMs: o.monitorIntervalMs };
    this.nodes = this.cfg.haCf.nodes.map((n) => new SimNode(n, this.cfg, this, meta));
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
    this.groupIds = this.cfg.groups.map((g) => g.id);
    // agent.ts: the controller's timer, the ping witness's interval (derived-timing.ts).
    const witnessInterval = witnessIntervalMs(o.timing);
    this.period = { ctick: controllerTickMs(o.timing), ping: witnessInterval, wpoll: witnessInterval };
  }

  run(): RunResult {
    for (const n of this.nodes) this.queue.push(this.rng.float(0, this.o.timing.keepaliveMs), { kind: "boot", node: n.name, token: 0 });
    for (const f of this.schedule) {
      this.queue.push(f.at, { kind: "fault", fault: f, begin: true });
      this.queue.push(f.until, { kind: "fault", fault: f, begin: false });
      this.quietFrom = Math.max(this.quietFrom, f.until);
    }
    this.quietFrom = Math.max(this.quietFrom, this.o.faultsFromMs);
    let events = 0;
    for (;;) {
      const next = this.queue.pop();
      if (!next || next.at > this.quietFrom + this.o.settleMs || next.at > HARD_LIMIT_MS) break;
      if (events >= MAX_EVENTS) {
        this.note(`stopped after ${MAX_EVENTS} events`);
        break;
      }
      this.now = next.at;
      events++;
      this.dispatch(next.event);
      if (!this.violation) {
        const holdings = doubleHoldings(this.nodes, this.groupIds);
        if (holdings.length) {
          this.violation = { at: round(this.now), holdings };
          this.note(`VIOLATION ${holdings.map((h) => `${h.group} held by ${h.holders.join(" and ")}`).join("; ")}`);
        }
      }
    }
    this.now = Math.min(this.quietFrom + this.o.settleMs, HARD_LIMIT_MS);
    const unsettled = settleProblems(this.nodes, this.groupIds, () => this.env());
    if (events >= MAX_EVENTS) unsettled.push(`the run hit the ${MAX_EVENTS}-event bound at ${round(this.now)} ms`);
    return {
      seed: this.seed,
      autoFailback: this.autoFailback,
      schedule: this.schedule,
      violation: this.violation,
      unsettled,
      trace: this.trace,
      notices: this.notices,
      groups: Object.fromEntries(
        this.nodes.map((n) => [n.name, Object.fromEntries(this.groupIds.map((g) => [g, { state: n.groupState(g), failcounts: n.failcounts(g), holds: n.holds(g) }]))]),
      ),
      endedAt: round(this.now),
      events,
    };
  }

  private dispatch(e: SimEvent): void {
    switch (e.kind) {
      case "fault":
        return e.begin ? this.beginFault(e.fault) : this.endFault(e.fault);
      case "boot":
        return this.boot(e.node, e.token);
      case "ping":
        return this.ping(e);
      case "fenced":
        return this.fenceDone(e);
      default: {
        const target = e.kind === "deliver" ? e.to : e.node;
        const node = this.byName.get(target)!;
        if (!node.up) return; // a dead agent reads nothing and finishes nothing
        if ("epoch" in e && e.epoch !== node.epoch) return; // from an earlier life
        // A packet is lost if the link went down while it was in flight (a ping reply too); one that
        // arrives waits in the socket buffer (or ping's pipe) while the agent is stopped.
        if (e.kind === "deliver" && !this.net.passes(e.packet.node, e.to, true)) return;
        if (e.kind === "pong" && !this.net.reachesWitness(e.node)) return;
        if (node.frozen) return void this.deferred.get(target)!.push(e);
        return this.handle(node, e);
      }
    }
  }

  /** An event for a running node. */
  private handle(node: SimNode, e: SimEvent): void {
    const env = this.env();
    switch (e.kind) {
      case "hb":
        if (this.hbTokens.get(node.name)?.get(e.timer) === e.token) node.heartbeat(env, { kind: "wake", timer: e.timer });
        return;
      case "reconcile":
        return node.woken(env);
      case "ctick":
        node.tick(env);
        return this.again(node, e);
      case "wpoll": {
        // PingWitness.start's onChange poll: the controller ticks when answering() flips.
        const is = this.witness(node.name);
        if (is !== (this.wasAnswering.get(node.name) ?? false)) node.tick(env);
        this.wasAnswering.set(node.name, is);
        return this.again(node, e);
      }
      case "lease-end":
        // PingWitness.armLeaseEnd: `if (!this.answering()) this.onChange?.(false)` → controller.tick().
        if (e.token === this.leaseToken.get(node.name) && !this.witness(node.name)) node.tick(env);
        return;
      case "deliver":
        return node.receive(env, e.packet);
      case "action-done":
        return this.actionDone(e.call);
      case "gtimer":
        return node.timer(e.id);
      case "pong": {
        // PingWitness.onLine: the reply counts when the agent reads it, and re-arms the lease's end.
        this.lastAnswer.set(node.name, this.now);
        const token = (this.leaseToken.get(node.name) ?? 0) + 1;
        this.leaseToken.set(node.name, token);
        this.queue.push(this.now + this.o.timing.warntimeMs + 1, { kind: "lease-end", node: node.name, epoch: node.epoch, token });
        return;
      }
      case "fenced":
        return node.fenced(env, e.victim, e.generation);
      default:
        return;
    }
  }

  private again(node: SimNode, e: TimerEvent): void {
    this.queue.push(this.now + this.period[e.kind], { kind: e.kind, node: node.name, epoch: node.epoch });
  }

  /** The ping child runs beside the agent (a SIGSTOP of the agent does not stop it). */
  private ping(e: TimerEvent): void {
    const node = this.byName.get(e.node)!;
    if (!node.up || node.epoch !== e.epoch) return;
    const back = this.now + 2 * this.delay();
    if (this.net.reachesWitness(node.name)) this.queue.push(back, { kind: "pong", node: node.name, epoch: node.epoch });
    this.queue.push(this.now + this.period.ping, e);
  }

  /** The victim is powered off when the fence agent succeeds; the fencer learns it if it is running. */
  private fenceDone(e: Extract<SimEvent, { kind: "fenced" }>): void {
    const victim = this.byName.get(e.victim)!;
    this.note(`${e.fencer} fenced ${e.victim}: powered off`);
    this.powerOff(victim, this.o.rebootMs);
    const fencer = this.byName.get(e.fencer)!;
    if (!fencer.up) return;
    if (fencer.frozen) this.deferred.get(fencer.name)!.push(e);
    else this.handle(fencer, e);
  }

  private beginFault(f: Fault): void {
    this.note(`fault begins: ${describeFault(f)}`);
    if (f.kind === "freeze") {
      const node = this.byName.get(f.node)!;
      if (node.up) node.frozen = true;
    } else if (f.kind === "crash") {
      const node = this.byName.get(f.node)!;
      node.up = false;
      node.frozen = false;
      node.epoch++;
      node.kill();
      this.deferred.set(node.name, []);
      // Its resources stay where they are (kill -9 leaves addresses and mounts) until a fence or a boot.
      const token = this.nextBoot(node.name);
      this.queue.push(f.until, { kind: "boot", node: node.name, token });
    } else this.net.begin(f);
  }

  private endFault(f: Fault): void {
    this.note(`fault ends: ${describeFault(f)}`);
    if (f.kind === "freeze") this.thaw(this.byName.get(f.node)!);
    else if (f.kind !== "crash") this.net.end(f);
  }

  /** SIGCONT. Node runs an event loop's timers before it polls for I/O, and setImmediate callbacks
   *  after: the heartbeat thread's overdue timers run before it reads the packets that queued up; then the main
   *  thread's timers (controller tick, witness poll and lease end), its I/O (ping replies, finished
   *  actions, fence results) and last the controller's pending reconcile. */
  private thaw(node: SimNode): void {
    if (!node.up || !node.frozen) return;
    node.frozen = false;
    const queued = this.deferred.get(node.name)!;
    this.deferred.set(node.name, []);
    const phase = (e: SimEvent): number => {
      switch (e.kind) {
        case "hb":
          return 0;
        case "deliver":
          return 1;
        case "ctick":
        case "wpoll":
        case "lease-end":
        case "gtimer":
          return 2;
        case "reconcile":
          return 4;
        default:
          return 3;
      }
    };
    const order = [0, 1, 2, 3, 4].flatMap((p) => queued.filter((e) => phase(e) === p));
    for (const e of order) if (node.up && !node.frozen) this.handle(node, e);
  }

  private boot(name: string, token: number): void {
    const node = this.byName.get(name)!;
    if ((this.bootToken.get(name) ?? 0) !== token) return;
    if (node.up && token !== 0) return;
    // A host that boots holds nothing: addresses and mounts did not survive the power cycle.
    node.wipe();
    // HeartbeatService.start: the loop opens (a probe, the listen); at its end agent.ts announces
    // the node and starts the controller, which publishes the payload (sent at once) and reconciles.
    node.boot(this.env(), this.heartbeatIo(node));
    this.deferred.set(name, []);
    this.lastAnswer.delete(name);
    this.wasAnswering.delete(name);
    this.leaseToken.delete(name);
    this.note(`${name} boots (generation ${node.generation})`);
    this.quietFrom = Math.max(this.quietFrom, this.now);
    const epoch = node.epoch;
    this.queue.push(this.now + this.period.ctick, { kind: "ctick", node: name, epoch });
    if (this.o.witness === "ping") {
      this.queue.push(this.now, { kind: "ping", node: name, epoch });
      this.queue.push(this.now + this.period.wpoll, { kind: "wpoll", node: name, epoch });
    }
  }

  /** The heartbeat loop's network and timers for `node`'s next life. */
  private heartbeatIo(node: SimNode): HeartbeatIo {
    const sim = this;
    const epoch = node.epoch + 1; // the epoch node.boot() is about to start
    const tokens = new Map<LoopTimer, number>();
    this.hbTokens.set(node.name, tokens);
    const bump = (timer: LoopTimer) => {
      const token = (tokens.get(timer) ?? 0) + 1;
      tokens.set(timer, token);
      return token;
    };
    const deliver = (to: SimNode, packet: WirePacket) => {
      if (to !== node && sim.net.passes(node.name, to.name)) sim.queue.push(sim.now + sim.delay(), { kind: "deliver", to: to.name, packet });
    };
    return {
      send: (packet) => {
        if (sim.net.leaves(node.name)) for (const to of sim.nodes) deliver(to, packet);
      },
      reply: (to, packet) => {
        if (sim.net.leaves(node.name)) deliver(sim.byName.get(to)!, packet);
      },
      wake: (timer, at) => sim.queue.push(at, { kind: "hb", node: node.name, epoch, timer, token: bump(timer) }),
      cancel: (timer) => void bump(timer),
    };
  }

  private powerOff(node: SimNode, reboot: readonly [number, number]): void {
    node.up = false;
    node.frozen = false;
    node.epoch++;
    node.kill();
    node.wipe();
    this.deferred.set(node.name, []);
    const token = this.nextBoot(node.name);
    const at = this.now + this.rng.float(reboot[0], reboot[1]);
    this.quietFrom = Math.max(this.quietFrom, at);
    this.queue.push(at, { kind: "boot", node: node.name, token });
  }

  private nextBoot(name: string): number {
    const t = (this.bootToken.get(name) ?? 0) + 1;
    this.bootToken.set(name, t);
    return t;
  }

  private delay(): number {
    return this.rng.float(this.o.delayMs[0], this.o.delayMs[1]);
  }

  private witness(node: string): boolean {
    switch (this.o.witness) {
      case "none":
        return false;
      case "ideal":
        return this.net.reachesWitness(node);
      case "ping": {
        // PingWitness.answering: a reply read within the lease (warntime).
        const t = this.lastAnswer.get(node);
        return t !== undefined && this.now - t < this.o.timing.warntimeMs;
      }
    }
  }

  /** NodeHost: a resource action begins. It lasts as the script says (by default a draw from the
   *  options' range) and answers as the script says (by default success, and a monitor reports what
   *  is there); what the host has meanwhile is its physical state. */
  act(r: SimResource, op: ResourceOp, _timeoutMs: number, done: (r: ActionResult) => void): () => void {
    const key = `${r.node} ${r.id} ${op}`;
    const nth = (this.callCounts.get(key) ?? 0) + 1;
    this.callCounts.set(key, nth);
    const answer = this.o.script?.({ node: r.node, group: r.group, resource: r.id, op, nth, at: this.now }) ?? {};
    if (op === "start") r.physical = r.physical === "started" ? "started" : "starting";
    if (op === "stop" && r.physical !== "stopped") r.physical = "stopping";
    if (answer.hang) {
      this.note(`${r.node} ${r.group} ${op} of ${r.id} hangs`);
      return () => {};
    }
    const [lo, hi] = op === "start" ? this.o.startMs : op === "stop" ? this.o.stopMs : this.o.monitorMs;
    const ms = answer.ms ?? (op === "monitor" ? this.monitorRng : this.rng).float(lo, hi);
    const rc = answer.rc ?? (op !== "monitor" ? OCF.SUCCESS : r.physical === "started" ? OCF.SUCCESS : r.physical === "stopped" ? OCF.NOT_RUNNING : OCF.ERR_GENERIC);
    const message = answer.rc === undefined ? "simulated" : `scripted rc ${rc}`;
    const id = ++this.lastCall;
    this.calls.set(id, { resource: r, op, result: { rc, message }, done });
    this.queue.push(this.now + ms, { kind: "action-done", node: r.node, epoch: this.byName.get(r.node)!.epoch, call: id });
    return () => void this.calls.delete(id);
  }

  /** The agent reads an action's result: the resource is now what the action made it. */
  private actionDone(id: number): void {
    const c = this.calls.get(id);
    if (!c) return; // killed at its timeout, or with the agent
    this.calls.delete(id);
    const ok = c.result.rc === OCF.SUCCESS;
    if (c.op === "start") c.resource.physical = ok ? "started" : "unknown";
    else if (c.op === "stop") c.resource.physical = ok || c.resource.physical === "stopped" ? "stopped" : "unknown"; // a failed stop of nothing leaves nothing
    else if (c.result.rc === OCF.NOT_RUNNING) c.resource.physical = "stopped"; // it died behind the agent's back
    c.done(c.result);
  }

  timer(node: string, epoch: number, ms: number, id: number): void {
    this.queue.push(this.now + ms, { kind: "gtimer", node, epoch, id });
  }

  notice(node: string, group: string, n: GroupNotice): void {
    this.notices.push({ at: round(this.now), node, group, notice: n });
  }

  env(): NodeEnv {
    const sim = this;
    return {
      now: this.now,
      fencing: this.o.fencing,
      failbackStableMs: failbackStableMs(this.o.timing),
      witness: (n) => sim.witness(n),
      fence: (fencer, victim, generation) => {
        sim.queue.push(sim.now + sim.rng.float(sim.o.fenceMs[0], sim.o.fenceMs[1]), { kind: "fenced", fencer, victim, generation });
      },
      wake: (node) => sim.queue.push(sim.now, { kind: "reconcile", node, epoch: sim.byName.get(node)!.epoch }),
      trace: (line) => sim.note(line),
    };
  }

  private note(line: string): void {
    if (this.trace.length < 50_000) this.trace.push(`${round(this.now).toFixed(3)} ${line}`);
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
