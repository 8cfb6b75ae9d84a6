// Runs one golden node case: the production heartbeat loop (heartbeat-loop.ts `step`, behind the
// agent's receive filter) and the production Controller (decideNode, the peer table, the group
// machines on scripted resources) of one node, on a virtual clock. The case's peers are only the
// packets it gives; the loop's wakes, the controller's timers and the group machines' clock fire
// when the production code armed them. What comes out is the node's effects, in the words of the
// case files. Nothing here decides anything: it is the agent's wiring (agent.ts, as test/sim's
// sim-node.ts does it for the simulator) around a queue.
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { controllerTickMs, failbackStableMs } from "@vigil/shared/config/derived-timing";
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventType, type VigilEvent } from "@vigil/shared/events/vocabulary";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { unwrapHeartbeatPayload, wrapHeartbeatPayload } from "@vigil/shared/heartbeat/envelope";
import { initLoop, step, type LoopInput, type LoopPost, type LoopState, type LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import { decodeNodeReport, encodeNodeReport, nodeReport, type NodeReport } from "@vigil/shared/heartbeat/node-report";
import { OCF, type ActionResult, type AgentMetadata } from "@vigil/resource-agents/agent-interface";
import { Controller, type ControllerDeps } from "@vigil/agent/cluster/controller";
import type { FenceResult } from "@vigil/agent/cluster/fence-agent";
import { startGroupActor, type GroupActor } from "@vigil/agent/groups/group-actor";
import type { ResourceOp } from "@vigil/agent/groups/group-context";
import { groupView } from "@vigil/agent/groups/group-view";
import { loopInput, screenDecoded } from "@vigil/agent/heartbeat/receive-filter";
import { peerTransition, type MembershipState } from "@vigil/agent/membership/membership-events";
import { configLoadedBody } from "@vigil/agent/cluster/sighup";
import { EventQueue } from "../sim/event-queue.js";
import { SimResource, simGroupMachine, type ActionHost } from "../sim/sim-resources.js";
import { SimTimers } from "../sim/sim-timers.js";
import type { EffectKind, HistoryItem, NodeCase } from "./node-case.js";

/** One thing the node did, at a virtual time. `value` is what expectations match against. */
export interface Effect {
  at: number;
  kind: EffectKind;
  value: unknown;
  text: string;
}

export interface CaseRun {
  effects: Effect[];
  /** Effects and inputs, in order, for the failure message. */
  trace: string[];
  endedAt: number;
}

/** Resource defaults: quick, and all succeed. */
const DEFAULT_MS: Record<ResourceOp, number> = { start: 10, stop: 10, monitor: 1 };
const META: Omit<AgentMetadata, "name"> = { description: "golden case resource", parameters: [], timeouts: { start: 2_000, stop: 1_000, monitor: 500 }, monitorIntervalMs: 0 };
const MAX_EVENTS = 200_000;
const CLUSTER = "golden";

type QueueEvent =
  | { kind: "hb"; timer: LoopTimer; token: number }
  | { kind: "timer"; id: number }
  | { kind: "action"; call: number }
  | { kind: "fenced"; done: (r: FenceResult) => void; result: FenceResult }
  | { kind: "input"; item: HistoryItem; index: number; first: boolean };

export function runNodeCase(c: NodeCase): CaseRun {
  return new CaseRunner(c).run();
}

export function caseConfig(c: NodeCase): ClusterConfig {
  const timing = typeof c.cluster.timing === "string" ? TIMING_PROFILES[c.cluster.timing] : c.cluster.timing;
  let line = 0;
  return {
    dir: "/golden",
    haCf: {
      cluster: CLUSTER,
      keepaliveMs: timing.keepaliveMs,
      warntimeMs: timing.warntimeMs,
      deadtimeMs: timing.deadtimeMs,
      initdeadMs: timing.initdeadMs,
      udpport: 694,
      media: [{ kind: "bcast", dev: "eth0", port: 694 }],
      nodes: c.cluster.nodes,
      pingNodes: c.cluster.witness === undefined ? [] : ["198.51.100.254"],
      autoFailback: c.cluster.auto_failback,
      nats: [],
      allowCrc: false,
      ...(c.cluster.fence ? { fence: ["golden-fence"] } : {}),
      ...(c.cluster.require_fencing ? { requireFencing: true } : {}),
    },
    authKeys: { active: 1, method: "sha256", key: "golden", keys: { "1": { method: "sha256", key: "golden" } } },
    groups: Object.entries(c.cluster.groups).map(([id, g], i) => ({
      id,
      preferredNode: g.preferred,
      resources: (g.resources ?? [`IPaddr::198.51.100.${10 + i}`]).map((r) => {
        const [agent, ...args] = r.split("::");
        return { id: r, agent: agent!, args };
      }),
      line: ++line,
    })),
  };
}

class CaseRunner implements ActionHost {
  private readonly queue = new EventQueue<QueueEvent>();
  private now = 0;
  private readonly cfg: ClusterConfig;
  private readonly self: string;
  private readonly effects: Effect[] = [];
  private readonly trace: string[] = [];
  private hb!: LoopState;
  private hbTokens = new Map<LoopTimer, number>();
  private lastToken = 0;
  private readonly timers = new SimTimers((_kind, ms, id) => this.queue.push(this.now + ms, { kind: "timer", id }));
  private controller: Controller | null = null;
  private membership: MembershipState;
  private readonly view = emptyView(CLUSTER);
  private logSeq = 0;
  private eventCount = 0;
  private witness: boolean;
  private lastSent = "";
  private lastQuorum = false;
  private readonly resources = new Map<string, SimResource[]>();
  private readonly running = new Set<SimResource>();
  private readonly calls = new Map<number, { resource: SimResource; op: ResourceOp; result: ActionResult; done: (r: ActionResult) => void }>();
  private readonly callCounts = new Map<string, number>();
  private lastCall = 0;
  private readonly peerSeq = new Map<string, number>();

  constructor(private readonly c: NodeCase) {
    this.cfg = caseConfig(c);
    this.self = c.cluster.self;
    this.membership = { self: this.self, alive: new Set() };
    this.witness = c.cluster.witness ?? false;
    for (const g of this.cfg.groups)
      this.resources.set(
        g.id,
        g.resources.map((r) => new SimResource(r.id, this.self, g.id, { name: r.agent, ...META }, this)),
      );
  }

  run(): CaseRun {
    const end = this.c.until;
    // The agent starts at 0 and announces before any packet of the history is read.
    this.hb = initLoop(
      { node: this.self, generation: 1, haCf: this.cfg.haCf, payload: null, listenFirstMs: 0, announceOnStart: false, statsIntervalMs: 60_000 },
      0,
    );
    this.heartbeat({ kind: "opened" });
    this.drain(0);
    this.c.history.forEach((item, index) => {
      const last = item.until ?? item.at + 1;
      for (let at = item.at, first = true; at < last; at += item.every ?? Infinity, first = false) this.queue.push(at, { kind: "input", item: { ...item, at }, index, first });
    });
    this.drain(end);
    return { effects: this.effects, trace: this.trace, endedAt: end };
  }

  private drain(end: number): void {
    for (let n = 0; ; n++) {
      if (n > MAX_EVENTS) throw new Error(`more than ${MAX_EVENTS} events by ${this.now} ms: something wakes itself forever`);
      const next = this.queue.pop();
      if (!next) return;
      if (next.at > end) {
        this.queue.push(next.at, next.event);
        return;
      }
      this.now = next.at;
      this.handle(next.event);
      this.noteQuorum();
    }
  }

  private handle(e: QueueEvent): void {
    switch (e.kind) {
      case "hb":
        if (this.hbTokens.get(e.timer) === e.token) this.heartbeat({ kind: "wake", timer: e.timer });
        return;
      case "timer":
        return this.timers.fire(e.id);
      case "action": {
        const call = this.calls.get(e.call);
        if (!call) return; // killed at its op timeout
        this.calls.delete(e.call);
        if (call.result.rc === OCF.SUCCESS && call.op === "start") this.running.add(call.resource);
        if (call.result.rc === OCF.SUCCESS && call.op === "stop") this.running.delete(call.resource);
        return call.done(call.result);
      }
      case "fenced":
        return e.done(e.result);
      case "input":
        return this.input(e.item, e.index, e.first);
    }
  }

  private input(h: HistoryItem, index: number, first: boolean): void {
    const repeat = h.every !== undefined ? ` every ${h.every} ms until ${h.until}` : "";
    if (h.hear !== undefined) {
      const heardUsAgoMs = h.heardUsAt !== undefined ? Math.max(0, h.at - h.heardUsAt) : h.heardUsAgoMs === undefined ? 0 : h.heardUsAgoMs;
      const report = h.report === null || h.report === undefined ? null : encodeNodeReport(nodeReport({ ...h.report, hears: h.report.hears ?? h.report.vouchesFor ?? [] }));
      if (first) this.note(`< hear ${h.hear}${repeat}: ${report === null ? "no report" : JSON.stringify(h.report)}${heardUsAgoMs === null ? ", does not hear us" : ""} (history[${index}])`);
      const seq = (this.peerSeq.get(h.hear) ?? 0) + 1;
      this.peerSeq.set(h.hear, seq);
      const packet: WirePacket = {
        node: h.hear,
        cluster: CLUSTER,
        generation: h.generation,
        seq,
        payload: wrapHeartbeatPayload(report, heardUsAgoMs === null ? {} : { [this.self]: heardUsAgoMs }, {}, h.at),
      };
      const edge = { self: this.self, generation: 1, cluster: CLUSTER, nodes: new Set(this.cfg.haCf.nodes) };
      this.heartbeat(loopInput(screenDecoded(packet, edge), "eth0", h.hear));
    } else if (h.event !== undefined) {
      const { type, by, ...body } = h.event;
      const e = makeEvent(type as EventType, body as never, { id: `golden.${index}.${h.at}`, node: by ?? "cli", time: h.at, cause: `golden case history[${index}]` });
      this.note(`< log event ${type} ${JSON.stringify(body)}${repeat} (history[${index}])`);
      // The log follower folds it, then tells the controller.
      applyEvent(this.view, e, ++this.logSeq);
      this.controller?.onLogEvent(e);
    } else if (h.witness !== undefined) {
      this.note(`< the witness ${h.witness ? "answers" : "stops answering"} (history[${index}])`);
      this.witness = h.witness;
      this.controller?.tick();
    }
  }

  /** One step of the production heartbeat loop; its effects carried out at once (agent: the worker). */
  private heartbeat(input: LoopInput): void {
    const r = step(this.hb, input, this.now);
    this.hb = r.state;
    for (const e of r.effects) {
      if (e.kind === "send") this.sent(e.packet);
      else if (e.kind === "wake") {
        const token = ++this.lastToken;
        this.hbTokens.set(e.timer, token);
        this.queue.push(Math.max(this.now, e.at), { kind: "hb", timer: e.timer, token });
      } else if (e.kind === "cancel") this.hbTokens.delete(e.timer);
      else if (e.kind === "post") this.onWorker(e.message);
    }
  }

  /** A heartbeat this node sent: an effect when its report differs from the last one sent. */
  private sent(packet: WirePacket): void {
    const decoded = decodeNodeReport(unwrapHeartbeatPayload(packet.payload).payload);
    if (!decoded.ok || decoded.report === null) return;
    const value = sentValue(decoded.report);
    const key = JSON.stringify(value);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.effect("send", value, `send ${key}`);
  }

  /** What the heartbeat thread posts reaches the main thread, as agent.ts wires it. */
  private onWorker(m: LoopPost): void {
    if (m.type === "ready") this.ready();
    else if (m.type === "payload") this.controller?.onPeerPayload(m.peer, m.payload);
    else if (m.type === "transition") this.onTransition(m.transition);
  }

  /** agent.ts onPeerTransition: production's peerTransition (the controller, then the membership events). */
  private onTransition(t: Transition): void {
    const why = t.unvouched ? " (does not hear us)" : t.stalled ? " (own stall)" : "";
    this.effect("sees", { peer: t.peer, to: t.to }, `sees ${t.peer} ${t.from} → ${t.to}${why}`);
    const c = this.controller!;
    const { state, events, changed } = peerTransition(this.membership, t, c, { id: () => this.nextId(), node: this.self });
    this.membership = state;
    for (const e of events) this.recorded(e);
    if (changed) this.recorded(makeEvent("MembershipChanged", { members: changed.members, quorum: changed.quorum }, { id: this.nextId(), node: this.self, time: this.now, cause: changed.cause }));
  }

  /** HeartbeatService.start resolved: the controller (its log already caught up: the case's log is
   *  this node's ConfigLoaded, then what the history gives), the announce, the start and the
   *  periodic tick. */
  private ready(): void {
    const config = makeEvent("ConfigLoaded", configLoadedBody(this.cfg), { id: this.nextId(), node: this.self, time: this.now, cause: "configuration read" });
    this.recorded(config);
    applyEvent(this.view, config, ++this.logSeq);
    // An info line about an event restates the record (as test/sim's trace leaves it out).
    const line = (level: string) => (fields: object, msg: string) =>
      level === "info" && "event" in fields ? undefined : this.effect("logs", msg, `logs ${level === "info" ? "" : `${level}: `}${msg}`);
    const fence = this.c.cluster.fence;
    const deps: ControllerDeps = {
      cfg: this.cfg,
      self: this.self,
      log: { info: line("info"), warn: line("warn"), error: line("error") },
      view: this.view,
      resources: this.resources,
      record: (type, body, cause) => {
        const e = makeEvent(type, body, { id: this.nextId(), node: this.self, time: this.now, cause });
        this.recorded(e);
        return e;
      },
      append: (e) => this.recorded(e),
      nextId: () => this.nextId(),
      setPayload: (payload) => this.heartbeat({ kind: "payload", payload }),
      witness: () => this.witness,
      now: () => this.now,
      failbackStableMs: failbackStableMs(this.cfg.haCf),
      ...(fence
        ? {
            fence: (victim: string, done: (r: FenceResult) => void) => {
              this.effect("fence", victim, `fence ${victim}`);
              const result = fence.ok ? { ok: true, rc: 0, message: "fenced" } : { ok: false, rc: 1, message: "golden fence agent failed" };
              this.queue.push(this.now + fence.ms, { kind: "fenced", done, result });
            },
          }
        : {}),
      timers: this.timers,
      startGroup: (input, opts) => this.adopt(input.group, startGroupActor(input, { ...opts, clock: this.timers, machine: simGroupMachine })),
    };
    this.controller = new Controller(deps);
    this.heartbeat({ kind: "announce" });
    this.controller.start();
    this.timers.interval(() => this.controller?.tick(), controllerTickMs(this.cfg.haCf));
  }

  /** A group machine: the controller's commands (a changed goal) and where the machine gets. */
  private adopt(group: string, actor: GroupActor): GroupActor {
    let goal = actor.getSnapshot().context.goal;
    let state = groupView(actor.getSnapshot()).state;
    actor.subscribe((s) => {
      if (s.context.goal !== goal) {
        goal = s.context.goal;
        this.effect(goal === "started" ? "start" : "stop", group, `${goal === "started" ? "start" : "stop"} ${group}: ${s.context.nextCause ?? s.context.cause}`);
      }
      const now = groupView(s).state;
      if (now !== state) {
        state = now;
        if (now === "started" || now === "stopped" || now === "blocked") this.effect(now, group, `${group} ${now}`);
      }
    });
    return actor;
  }

  private noteQuorum(): void {
    const q = this.controller?.liveView().quorum;
    if (!q || q.has === this.lastQuorum) return;
    this.lastQuorum = q.has;
    this.effect("quorum", q.has ? "has" : "lost", `quorum ${q.has ? "has" : "lost"}: ${q.reason}`);
  }

  private recorded(e: VigilEvent): void {
    const { v: _v, id: _id, node: _n, time: _t, cause, ...fields } = e;
    this.effect("record", fields, `record ${e.type} ${JSON.stringify(withoutType(fields))}${cause ? `: ${cause}` : ""}`);
  }

  private effect(kind: EffectKind, value: unknown, text: string): void {
    this.effects.push({ at: this.now, kind, value, text });
    this.note(`> ${text}`);
  }

  private note(line: string): void {
    this.trace.push(`${String(round(this.now)).padStart(6)}  ${line}`);
  }

  private nextId(): string {
    return `${this.self}.1.${++this.eventCount}`;
  }

  // ActionHost: a resource action, answered as the case scripts it (default: quick success; a
  // monitor reports what the actions made the resource).
  act(r: SimResource, op: ResourceOp, _timeoutMs: number, done: (r: ActionResult) => void): () => void {
    const key = `${r.id} ${op}`;
    const nth = (this.callCounts.get(key) ?? 0) + 1;
    this.callCounts.set(key, nth);
    const script = this.c.resources[r.group]?.[op];
    const list = script === undefined ? [] : Array.isArray(script) ? script : [script];
    const answer = list[Math.min(nth, list.length) - 1] ?? {};
    if (answer.hang) {
      this.note(`  ${r.group} ${op} of ${r.id} hangs`);
      return () => {};
    }
    const rc = answer.rc ?? (op !== "monitor" ? OCF.SUCCESS : this.running.has(r) ? OCF.SUCCESS : OCF.NOT_RUNNING);
    const id = ++this.lastCall;
    this.calls.set(id, { resource: r, op, result: { rc, message: `golden rc ${rc}` }, done });
    this.queue.push(this.now + (answer.ms ?? DEFAULT_MS[op]), { kind: "action", call: id });
    return () => void this.calls.delete(id);
  }
}

/** A sent report as expectations read it: fenced nodes by name. */
function sentValue(r: NodeReport): Record<string, unknown> {
  return { ...r, fenced: r.fenced.map((f) => f.node) };
}

function withoutType(fields: Record<string, unknown>): Record<string, unknown> {
  const { type: _t, ...rest } = fields;
  return rest;
}

const round = (x: number) => Math.round(x * 10) / 10;
