// The discrete-event simulator: a whole cluster in one process on a virtual clock. Heartbeats, ticks,
// group actions, fences and faults are events in one queue; every duration and every lost packet
// comes from the seed, so a seed replays a run exactly (TigerBeetle/FoundationDB style).
import { controllerTickMs, failbackStableMs, witnessIntervalMs } from "@vigil/shared/config/derived-timing";
import type { AutoFailback, ClusterConfig } from "@vigil/shared/config/schemas";
import type { ReadConfig } from "@vigil/agent/cluster/sighup";
import { EventQueue } from "./event-queue.js";
import { describeFault, drawSchedule, type ConfigChange, type Fault } from "./fault-schedule.js";
import { describeProblem, doubleHoldings, settleProblems, type DoubleHolding, type RunProblem } from "./invariants.js";
import { Network } from "./network.js";
import { createRng, type Rng } from "./prng.js";
import { SimNode, type HeartbeatIo, type LoggedHow, type NodeHost } from "./sim-node.js";
import type { SimResource } from "./sim-resources.js";
import type { TimerKind } from "./sim-timers.js";
import type { FenceResult } from "@vigil/agent/cluster/fence-agent";
import type { ResourceOp } from "@vigil/agent/groups/group-context";
import type { GroupState } from "@vigil/agent/groups/group-view";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import { OCF, type ActionResult } from "@vigil/resource-agents/agent-interface";
import type { LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { clusterConfig, simGroup, type SimOptions } from "./sim-options.js";
import { SimLog } from "./sim-log.js";
import { describeCommand, SimCli, type CommandRun, type SimCommand } from "./sim-commands.js";
import { groupName, nodeName } from "./sim-options.js";
import { LOG_INVARIANTS, logInvariants } from "./log-invariants.js";

export interface RunResult {
  seed: number;
  autoFailback: AutoFailback;
  schedule: Fault[];
  /** The first instant two nodes held one group, if any. */
  violation: { at: number; holdings: DoubleHolding[] } | null;
  /** What was wrong after the faults healed and the cluster had `settleMs` (empty: settled): the
   *  settle check's problems, else the event log's invariants', each with the invariant it breaks. */
  unsettled: RunProblem[];
  /** Every notable step (faults, peer transitions, quorum, group actions, fences), time first. */
  trace: string[];
  /** Everything the group machines reported (the controller's appends), in order. */
  notices: { at: number; node: string; group: string; notice: VigilEvent }[];
  /** Every event the controllers recorded, in order. */
  records: { at: number; node: string; event: VigilEvent }[];
  /** The operator's commands and what became of each. */
  commands: readonly CommandRun[];
  /** At the end, per node and group: the machine's state, its failcounts, and whether the host holds it. */
  groups: Record<string, Record<string, { state: GroupState; failcounts: Record<string, number>; holds: boolean }>>;
  endedAt: number;
  events: number;
}

type SimEvent =
  /** The ping witness's `ping` child sends an echo (it runs beside the agent: a SIGSTOP of the agent
   *  does not stop it). `epoch` ends the chain when its node's life ends. */
  | { kind: "ping"; node: string; epoch: number }
  /** A heartbeat loop's timer (its `wake` effect); a newer wake of the same timer supersedes it. */
  | { kind: "hb"; node: string; epoch: number; timer: LoopTimer; token: number }
  /** A main-thread timer (SimTimers): a setTimeout or setInterval of the controller, the witness or
   *  the agent, or a group machine's (op timeout, monitor interval); or a setImmediate. */
  | { kind: TimerKind; node: string; epoch: number; id: number }
  /** A node's log machinery is due (SimAgentLog.poll's nextAt, a store, an append); a newer
   *  `token` supersedes it. */
  | { kind: "log"; node: string; epoch: number; token: number }
  /** The operator's CLI is due (its nextAt, a store); a newer token supersedes it. */
  | { kind: "cli"; token: number }
  /** A reply of the ping child, read from its pipe. */
  | { kind: "pong"; node: string; epoch: number }
  | { kind: "deliver"; to: string; packet: WirePacket }
  /** A resource action finishes (its process exits); `call` was cancelled if the agent killed it. */
  | { kind: "action-done"; node: string; epoch: number; call: number }
  /** A fence agent run by `fencer` (in its life `epoch`) ends: the victim is powered off. */
  | { kind: "fenced"; fencer: string; epoch: number; victim: string; done: (r: FenceResult) => void }
  | { kind: "fault"; fault: Fault; begin: boolean }
  /** `keep`: the agent alone starts again (its host kept what it configured); else the host boots. */
  | { kind: "boot"; node: string; token: number; keep?: boolean }
  /** The agent saves its fold's snapshot (agent.ts's stats timer). */
  | { kind: "save"; node: string }
  /** The operator puts the files as they are now on the node and sends SIGHUP (`typo`: they do not
   *  parse, and the operator puts the old ones back). */
  | { kind: "sighup"; node: string; typo: boolean };

/** Virtual time after which a run stops whatever happens, and a bound on events (a decision that
 *  woke itself forever at one instant would never advance the clock): every loop is bounded. */
const HARD_LIMIT_MS = 120_000;
const MAX_EVENTS = 2_000_000;
const AUTO_FAILBACK: readonly AutoFailback[] = ["on", "off", "legacy"];
/** After a log fault, time for the agents to find it (the watchdog looks every CHECK_EVERY_MS, 1.5 s
 *  after a reconnect), rebuild and republish before the run is judged settled. */
const LOG_HEAL_MS = 10_000;
/** The faults the network model carries out (network.ts); the others act on agents, hosts or the log. */
const isNetworkFault = (f: Fault) => f.kind === "link-down" || f.kind === "partition" || f.kind === "one-way" || f.kind === "loss" || f.kind === "random-loss";
const isLogFault = (f: Fault) => f.kind === "log-outage" || f.kind === "store-wiped" || f.kind === "log-stall" || f.kind === "slow-acks";

export function simulate(o: SimOptions, seed: number, over: { schedule?: Fault[] } = {}): RunResult {
  return new Simulation(o, seed, over.schedule).run();
}

/** A run's schedule and trace as text, enough to understand and replay it. */
export function describeRun(r: RunResult, lines = 60): string {
  const head = [`seed ${r.seed} (auto_failback ${r.autoFailback})`, "schedule:", ...r.schedule.map((f) => `  ${describeFault(f)}`)];
  if (r.violation) head.push(`VIOLATION at ${r.violation.at} ms: ${r.violation.holdings.map((h) => `${h.group} held by ${h.holders.join(" and ")}`).join("; ")}`);
  if (r.unsettled.length) head.push(`UNSETTLED at ${r.endedAt} ms: ${r.unsettled.map(describeProblem).join("; ")}`);
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
  /** Every group ever configured (config reloads add some). */
  private readonly groupIds: string[];
  private readonly cfg: ClusterConfig;
  /** The files as the operator last edited them (what a node reads at its next SIGHUP or start). */
  private file: ClusterConfig;
  private readonly autoFailback: AutoFailback;
  private readonly schedule: Fault[];
  /** The ping child's interval, as agent.ts starts the witness: max(20, keepalive/2). */
  private readonly pingEvery: number;
  private readonly trace: string[] = [];
  /** Events for a SIGSTOPped node, handled at SIGCONT. */
  private readonly deferred = new Map<string, SimEvent[]>();
  private readonly bootToken = new Map<string, number>();
  readonly log: SimLog;
  /** Per node, its armed log poll: when, in which life, and its token. */
  private readonly logWake = new Map<string, { at: number; epoch: number; token: number; due: boolean }>();
  /** Every id an agent wrote, for "nothing lost". */
  private readonly appended = new Set<string>();
  private readonly cli: SimCli;
  private cliWake: { at: number; token: number } | null = null;
  private cliToken = 0;
  /** Per node, the token of each heartbeat timer's armed wake (clearTimeout: a newer token). */
  private readonly hbTokens = new Map<string, Map<LoopTimer, number>>();
  private readonly notices: RunResult["notices"] = [];
  private readonly records: RunResult["records"] = [];
  private readonly calls = new Map<number, Call>();
  private lastCall = 0;
  /** Per node, resource and op: how many calls so far (a script's `nth`). */
  private readonly callCounts = new Map<string, number>();
  private nowMs = 0;
  private quietFrom = 0;
  private violation: RunResult["violation"] = null;
  /** A resource's `holds` changed since the one-holder check last looked (only then can it find more). */
  private holdsMoved = false;

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
    this.log = new SimLog({ cluster: this.cfg.haCf.cluster, onStore: (at) => this.stored(at) });
    let cliIds = 0;
    this.cli = new SimCli(this.log, { nextId: () => `cli.${++cliIds}` });
    for (const { command, at } of drawCommands(o, root.fork(5))) this.cli.issue(command, at);
    const meta = { name: "Scripted", description: "simulated resource", parameters: [], timeouts: o.resourceTimeouts, monitorIntervalMs: o.monitorIntervalMs };
    this.nodes = this.cfg.haCf.nodes.map((n) => new SimNode(n, this.cfg, this, meta));
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
    this.groupIds = this.cfg.groups.map((g) => g.id);
    this.file = this.cfg;
    this.pingEvery = Math.max(20, Math.floor(o.timing.keepaliveMs / 2));
  }

  run(): RunResult {
    for (const n of this.nodes) this.queue.push(this.rng.float(0, this.o.timing.keepaliveMs), { kind: "boot", node: n.name, token: 0 });
    for (const f of this.schedule) {
      if (f.kind === "agent-restart") this.queue.push(f.savedAt, { kind: "save", node: f.node });
      this.queue.push(f.at, { kind: "fault", fault: f, begin: true });
      this.queue.push(f.until, { kind: "fault", fault: f, begin: false });
      this.quietFrom = Math.max(this.quietFrom, f.until + (isLogFault(f) ? LOG_HEAL_MS : 0));
    }
    this.quietFrom = Math.max(this.quietFrom, this.o.faultsFromMs);
    const first = this.cli.runs()[0];
    if (first) {
      this.quietFrom = Math.max(this.quietFrom, ...this.cli.runs().map((r) => r.issuedAt));
      this.wakeCli(first.issuedAt);
    }
    let events = 0;
    for (;;) {
      const next = this.queue.pop();
      if (!next || next.at > this.quietFrom + this.o.settleMs || next.at > HARD_LIMIT_MS) break;
      if (events >= MAX_EVENTS) {
        this.note(`stopped after ${MAX_EVENTS} events`);
        break;
      }
      this.nowMs = next.at;
      events++;
      this.dispatch(next.event);
      if (!this.violation && this.holdsMoved) {
        this.holdsMoved = false;
        const holdings = doubleHoldings(this.nodes, this.groupIds);
        if (holdings.length) {
          this.violation = { at: round(this.nowMs), holdings };
          this.note(`VIOLATION ${holdings.map((h) => `${h.group} held by ${h.holders.join(" and ")}`).join("; ")}`);
        }
      }
    }
    this.nowMs = Math.min(this.quietFrom + this.o.settleMs, HARD_LIMIT_MS);
    const configured = this.file.groups.map((g) => g.id);
    const removed = this.groupIds.filter((g) => !configured.includes(g));
    const unsettled: RunProblem[] = settleProblems(this.nodes, configured, removed).map((message) => ({ invariant: "settles", message }));
    if (!unsettled.length) unsettled.push(...this.logProblems());
    if (events >= MAX_EVENTS) unsettled.push({ invariant: "settles", message: `the run hit the ${MAX_EVENTS}-event bound at ${round(this.nowMs)} ms` });
    return {
      seed: this.seed,
      autoFailback: this.autoFailback,
      schedule: this.schedule,
      violation: this.violation,
      unsettled,
      trace: this.trace,
      notices: this.notices,
      records: this.records,
      commands: this.cli.runs(),
      groups: Object.fromEntries(
        this.nodes.map((n) => [n.name, Object.fromEntries(this.groupIds.map((g) => [g, { state: n.groupState(g), failcounts: n.failcounts(g), holds: n.holds(g) }]))]),
      ),
      endedAt: round(this.nowMs),
      events,
    };
  }

  private dispatch(e: SimEvent): void {
    switch (e.kind) {
      case "fault":
        return e.begin ? this.beginFault(e.fault) : this.endFault(e.fault);
      case "boot":
        return this.boot(e.node, e.token, e.keep ?? false);
      case "save": {
        // A stopped agent's stats timer waits with it; a dead one saves nothing.
        const node = this.byName.get(e.node)!;
        if (node.up && !node.frozen) node.saveSnapshot();
        return;
      }
      case "sighup": {
        const node = this.byName.get(e.node)!;
        node.setDisk(this.file);
        if (!node.up) return; // it reads the new files when it starts
        if (node.frozen) return void this.deferred.get(node.name)!.push(e);
        return this.handle(node, e);
      }
      case "ping":
        return this.ping(e);
      case "fenced":
        return this.fenceDone(e);
      case "cli": {
        if (!this.cliWake || this.cliWake.token !== e.token) return;
        this.cliWake = null;
        const s = this.cli.poll(this.nowMs);
        for (const r of s.finished) {
          this.note(`operator: ${describeCommand(r.command)}: ${r.outcome!.kind}: ${r.outcome!.message}`);
          // What a command changes must have time to settle.
          this.quietFrom = Math.max(this.quietFrom, this.nowMs);
        }
        if (s.nextAt !== null) this.wakeCli(s.nextAt);
        return;
      }
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
    switch (e.kind) {
      case "hb":
        if (this.hbTokens.get(node.name)?.get(e.timer) === e.token) node.heartbeat({ kind: "wake", timer: e.timer });
        return;
      case "timer":
      case "immediate":
        return node.timer(e.id);
      case "deliver":
        return node.receive(e.packet);
      case "action-done":
        return this.actionDone(e.call);
      case "pong":
        return node.pingReply();
      case "log": {
        const w = this.logWake.get(node.name);
        if (!w || w.token !== e.token) return;
        w.due = false;
        return node.logPoll();
      }
      case "fenced":
        return e.done({ ok: true, rc: 0, message: `simulated power-off of ${e.victim}` });
      case "sighup":
        return node.sighup(this.read(e.typo));
      default:
        return;
    }
  }

  /** The ping child runs beside the agent (a SIGSTOP of the agent does not stop it). */
  private ping(e: Extract<SimEvent, { kind: "ping" }>): void {
    const node = this.byName.get(e.node)!;
    if (!node.up || node.epoch !== e.epoch) return;
    const back = this.nowMs + 2 * this.delay();
    if (this.net.reachesWitness(node.name)) this.queue.push(back, { kind: "pong", node: node.name, epoch: node.epoch });
    this.queue.push(this.nowMs + this.pingEvery, e);
  }

  /** The victim is powered off when the fence agent succeeds; the fencer's agent reads the result if
   *  it still runs in the life that started the fence. */
  private fenceDone(e: Extract<SimEvent, { kind: "fenced" }>): void {
    const victim = this.byName.get(e.victim)!;
    this.note(`${e.fencer} fenced ${e.victim}: powered off`);
    this.powerOff(victim, this.o.rebootMs);
    const fencer = this.byName.get(e.fencer)!;
    if (!fencer.up || fencer.epoch !== e.epoch) return;
    if (fencer.frozen) this.deferred.get(fencer.name)!.push(e);
    else this.handle(fencer, e);
  }

  private beginFault(f: Fault): void {
    this.note(`fault begins: ${describeFault(f)}`);
    if (f.kind === "freeze") {
      const node = this.byName.get(f.node)!;
      if (node.up) node.frozen = true;
    } else if (f.kind === "crash" || f.kind === "agent-restart") {
      const node = this.byName.get(f.node)!;
      node.up = false;
      node.frozen = false;
      node.epoch++;
      node.kill();
      this.deferred.set(node.name, []);
      // Its resources stay where they are (kill -9 leaves addresses and mounts) until a fence or a
      // boot; an agent started again on a host that kept running finds them there.
      const token = this.nextBoot(node.name);
      this.queue.push(f.until, { kind: "boot", node: node.name, token, keep: f.kind === "agent-restart" });
    } else if (f.kind === "slow-acks") {
      this.log.slowAcks(f.at, f.until, f.ms);
    } else if (f.kind === "config-reload") {
      this.edit(f.change);
      for (const s of f.steps) this.queue.push(s.at, { kind: "sighup", node: s.node, typo: f.change.kind === "typo" });
    } else if (f.kind === "log-outage") {
      this.log.outage(f.at, f.until, f.nodes ?? undefined);
      this.wakeLogs();
    } else if (f.kind === "store-wiped") {
      this.log.wipe(this.nowMs);
      this.wakeLogs();
    } else if (f.kind === "log-stall") {
      this.byName.get(f.node)!.logSide?.stall();
    } else this.net.begin(f);
  }

  /** The operator's edit of the files (what every node reads at its next SIGHUP or start; a typo is
   *  put right before anything restarts). */
  private edit(c: ConfigChange): void {
    const file = this.file;
    switch (c.kind) {
      case "typo":
      case "unchanged":
        return;
      case "auto-failback":
        this.file = { ...file, haCf: { ...file.haCf, autoFailback: c.to } };
        return;
      case "add-group": {
        // A new name and address: never one a removed group had.
        const group = simGroup(this.groupIds.length, c.preferred, file.groups.length + 1);
        this.groupIds.push(group.id);
        this.file = { ...file, groups: [...file.groups, group] };
        return;
      }
      case "remove-group":
        this.file = { ...file, groups: file.groups.filter((g) => g.id !== c.group).map((g, i) => ({ ...g, line: i + 1 })) };
        return;
    }
  }

  /** What an agent reads on SIGHUP: the files as they are now, or the typo's error. */
  private read(typo: boolean): ReadConfig {
    const file = this.file;
    if (!typo) return { ok: true, value: file };
    return { ok: false, errors: [`${file.dir}/haresources:${file.groups.length + 1}: unknown resource agent "IPadr" (is it "IPaddr"?)`] };
  }

  /** Every running agent's log machinery looks now (a fault it would otherwise meet only at its next poll). */
  private wakeLogs(): void {
    for (const n of this.nodes) if (n.up) this.pollLog(n.name, n.epoch, this.nowMs);
  }

  private endFault(f: Fault): void {
    this.note(`fault ends: ${describeFault(f)}`);
    if (f.kind === "freeze") this.thaw(this.byName.get(f.node)!);
    else if (isNetworkFault(f)) this.net.end(f);
  }

  /** SIGCONT. Node runs an event loop's timers before it polls for I/O, and setImmediate callbacks
   *  after: the heartbeat thread's overdue timers run before it reads the packets that queued up; then the main
   *  thread's timers, its I/O (ping replies, finished actions, fence results) and last its immediates
   *  (the controller's pending decision). */
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
        case "timer":
          return 2;
        case "immediate":
          return 4;
        default:
          return 3;
      }
    };
    const order = [0, 1, 2, 3, 4].flatMap((p) => queued.filter((e) => phase(e) === p));
    for (const e of order) if (node.up && !node.frozen) this.handle(node, e);
  }

  private boot(name: string, token: number, keep: boolean): void {
    const node = this.byName.get(name)!;
    if ((this.bootToken.get(name) ?? 0) !== token) return;
    if (node.up && token !== 0) return;
    // A host that boots holds nothing: addresses and mounts did not survive the power cycle.
    if (!keep) node.wipe();
    this.deferred.set(name, []);
    // The loop opens (a probe, the listen); at its end the agent makes and starts the controller.
    node.boot(this.heartbeatIo(node));
    this.note(`${name} ${keep ? "agent starts again" : "boots"} (generation ${node.generation})`);
    this.quietFrom = Math.max(this.quietFrom, this.nowMs);
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
      if (to !== node && sim.net.passes(node.name, to.name)) sim.queue.push(sim.nowMs + sim.delay(), { kind: "deliver", to: to.name, packet });
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
    const at = this.nowMs + this.rng.float(reboot[0], reboot[1]);
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

  /** NodeHost: a resource action begins. It lasts as the script says (by default a draw from the
   *  options' range) and answers as the script says (by default success, and a monitor reports what
   *  is there); what the host has meanwhile is its physical state. */
  act(r: SimResource, op: ResourceOp, _timeoutMs: number, done: (r: ActionResult) => void): () => void {
    const key = `${r.node} ${r.id} ${op}`;
    const nth = (this.callCounts.get(key) ?? 0) + 1;
    this.callCounts.set(key, nth);
    const answer = this.o.script?.({ node: r.node, group: r.group, resource: r.id, op, nth, at: this.nowMs }) ?? {};
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
    this.queue.push(this.nowMs + ms, { kind: "action-done", node: r.node, epoch: this.byName.get(r.node)!.epoch, call: id });
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

  holdsChanged(): void {
    this.holdsMoved = true;
  }

  // NodeHost
  now(): number {
    return this.nowMs;
  }
  get fencing(): boolean {
    return this.o.fencing;
  }
  /** As agent.ts sets it. */
  get failbackStableMs(): number {
    return Math.max(this.o.timing.deadtimeMs, 1_000);
  }
  get witnessModel() {
    return this.o.witness;
  }
  reachesWitness(node: string): boolean {
    return this.net.reachesWitness(node);
  }
  fence(fencer: string, victim: string, done: (r: FenceResult) => void): void {
    const at = this.nowMs + this.rng.float(this.o.fenceMs[0], this.o.fenceMs[1]);
    this.queue.push(at, { kind: "fenced", fencer, epoch: this.byName.get(fencer)!.epoch, victim, done });
  }
  arm(node: string, epoch: number, kind: TimerKind, ms: number, id: number): void {
    this.queue.push(this.nowMs + ms, { kind, node, epoch, id });
  }
  pollLog(node: string, epoch: number, at: number): void {
    const w = this.logWake.get(node);
    if (w && w.due && w.epoch === epoch && w.at <= at) return;
    const token = (w?.token ?? 0) + 1;
    this.logWake.set(node, { at, epoch, token, due: true });
    this.queue.push(Math.max(at, this.nowMs), { kind: "log", node, epoch, token });
  }
  /** An event was stored: every running agent's reader may get it from `at` on. */
  private stored(at: number): void {
    for (const n of this.nodes) if (n.up) this.pollLog(n.name, n.epoch, at);
    this.wakeCli(at);
  }
  private wakeCli(at: number): void {
    if (this.cliWake && this.cliWake.at <= at) return;
    if (!this.cli.runs().some((r) => r.outcome === null)) return;
    this.cliWake = { at, token: ++this.cliToken };
    this.queue.push(Math.max(at, this.nowMs), { kind: "cli", token: this.cliToken });
  }
  /** The event log's invariants once the cluster settled (log-invariants.ts). */
  private logProblems(): RunProblem[] {
    const agents = this.nodes.flatMap((n) => (n.logSide ? [n.logSide] : []));
    const disturbed = (from: number, to: number) => this.schedule.some((f) => f.at <= to && f.until >= from);
    // A command answers within its --wait timeout, plus the CLI's read and publish timeouts.
    const found = logInvariants(this.log, agents, this.cli.runs(), { now: this.nowMs, boundMs: 60_000, appended: this.appended, disturbed });
    return LOG_INVARIANTS.flatMap((invariant) => found[invariant].map((message) => ({ invariant, message })));
  }
  spawnPing(node: string, epoch: number): void {
    this.queue.push(this.nowMs, { kind: "ping", node, epoch });
  }
  logged(node: string, e: VigilEvent, how: LoggedHow): void {
    const at = round(this.nowMs);
    this.appended.add(e.id);
    if (how === "membership") return; // the "sees" lines say it
    if (how === "record") {
      this.records.push({ at, node, event: e });
      return this.note(`${node} ${e.type}: ${e.cause}`);
    }
    this.notices.push({ at, node, group: "group" in e ? e.group : "", notice: e });
    if (e.type === "ResourceFailed") this.note(`${node} ${e.group} ${e.resource} ${e.op} failed (rc ${e.rc}: ${e.message}), failcount ${e.failcount}`);
    else if (e.type === "GroupBlocked") this.note(`${node} ${e.group} GroupBlocked: ${e.cause}`);
    else if (e.type === "FenceRequested") this.note(`${node} FenceRequested by its group machine: ${e.cause}`);
  }

  note(line: string): void {
    if (this.trace.length < 50_000) this.trace.push(`${round(this.nowMs).toFixed(3)} ${line}`);
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The operator's commands: verbs from the options, targets and moments from the seed. */
function drawCommands(o: SimOptions, rng: Rng): { command: SimCommand; at: number }[] {
  const verbs = o.commands ?? [];
  if (verbs.length === 0) return [];
  const [lo, hi] = o.commandCount ?? [1, 3];
  const node = () => nodeName(rng.int(0, o.nodes - 1));
  const group = () => groupName(rng.int(0, o.groups - 1));
  const out: { command: SimCommand; at: number }[] = [];
  for (let i = rng.int(lo, hi); i > 0; i--) {
    const verb = rng.pick(verbs);
    const at = round(o.faultsFromMs + rng.float(0, o.faultWindowMs));
    const command: SimCommand =
      verb === "standby" || verb === "online"
        ? { kind: verb, node: node() }
        : verb === "move"
          ? { kind: "move", group: group(), node: node() }
          : verb === "clear" || verb === "cleanup"
            ? { kind: verb, group: group() }
            : { kind: "hb", verb: verb === "hb standby" ? "standby" : "takeover", which: rng.pick(["all", "foreign", "local"] as const), node: node() };
    out.push({ command, at });
  }
  return out.sort((a, b) => a.at - b.at);
}
