// The heartbeat loop, pure: what a node's heartbeat thread decides, as
// `step(state, input, now) → { state, effects }`. It calls no clock, timer, socket or random source:
// the agent's worker thread (services/agent/src/heartbeat/heartbeat-worker.ts) runs it on real
// sockets and timers, the simulator (test/sim) on a virtual clock and network, both unchanged.
//
// What it decides:
// - start-up: listen before announcing, sending only probes, and refuse to start when another agent
//   runs in this node's name, or starts with a generation no higher (the later start gives way);
// - the send schedule: a heartbeat at announce, then one per keepalive split by the copies the worst
//   link calls for (loss-meter.ts); copies that rose bring the next send forward; a changed payload
//   goes out at once;
// - what each heartbeat says: the payload, how long ago each peer was last read (within deadtime),
//   the loss of each peer's packets here, how long this agent has announced itself (envelope.ts);
// - what a peer's packet counts for (admit.ts) and what the failure detector makes of it;
// - the detector's wake-ups: exactly when a peer's silence could cross warntime, deadtime or
//   initdead (nextDeadline + 1 ms: thresholds are inclusive), plus a periodic tick that notices this
//   thread's own stalls; one stall is reported once, whichever of the two wakes first.
import { createDetector, nextDeadline, reinstateGeneration, step as detectorStep, type DetectorInput, type DetectorState } from "./failure-detector.js";
import { baseCopies, copiesHoldMs, initialCopies, lossOf, lossPercent, nextCopies, sendIntervalMs, type CopiesState } from "./loss-meter.js";
import { admitHeard, emptyFilterState, lossReport, worstLinkLoss, type FilterState, type WirePacket } from "./admit.js";
import { PROBE_ENVELOPE, takenEnvelope, wrapHeartbeatPayload } from "./envelope.js";
import type { LoopConfig, LoopEffect, LoopInput, LoopPost, LoopTimer, SameNameAgent } from "./loop-protocol.js";

export type { LoopConfig, LoopEffect, LoopInput, LoopPost, LoopTimer, RejectedSender, SameNameAgent } from "./loop-protocol.js";

export interface LoopState {
  readonly cfg: LoopConfig;
  /** "closed": sockets not bound yet; "listening": sending only probes, hearing only whether another
   *  agent has this node's name; "announcing": a member (heartbeats, the detector). */
  readonly phase: "closed" | "listening" | "announcing" | "stopped";
  /** The listen has passed without another agent of this name. */
  readonly readyPosted: boolean;
  readonly announcedAt: number;
  readonly payload: unknown;
  readonly seq: number;
  readonly detector: DetectorState;
  readonly filter: FilterState;
  /** When each peer's packet was last read (not shifted by stall forgiveness): peers learn from it
   *  how long ago this node last heard them, and count their lease from that. */
  readonly heardAt: Readonly<Record<string, number>>;
  readonly copies: CopiesState;
  /** The periodic send counts from here. */
  readonly lastPeriodicSend: number;
  /** The deadline the deadline wake is armed for (Infinity: not armed). */
  readonly armedFor: number;
  /** Both timers notice one stall; the second must not forgive it again. */
  readonly stallReportedAt: number;
  readonly lastTick: number;
}

/** The periodic tick's interval: a safety net beside the deadline wake, and the stall detector. */
export const tickMs = (keepaliveMs: number): number => Math.max(10, keepaliveMs);
/** A wake-up this much later than scheduled means this thread itself was stopped. */
export const stallThresholdMs = (keepaliveMs: number): number => 3 * tickMs(keepaliveMs);
const probeEveryMs = (keepaliveMs: number): number => Math.max(1, keepaliveMs);
const statsEveryMs = (cfg: LoopConfig): number => Math.max(100, cfg.statsIntervalMs);

function newDetector(cfg: LoopConfig, now: number): DetectorState {
  const h = cfg.haCf;
  return createDetector(
    h.nodes.filter((n) => n !== cfg.node),
    // A keepalive of slack for the age of the peer's heard-ago report (failure-detector.ts).
    { warntimeMs: h.warntimeMs, deadtimeMs: h.deadtimeMs, initdeadMs: h.initdeadMs, vouchSlackMs: h.keepaliveMs },
    now,
  );
}

export function initLoop(cfg: LoopConfig, now: number): LoopState {
  return {
    cfg,
    phase: "closed",
    readyPosted: false,
    announcedAt: 0,
    payload: cfg.payload,
    seq: 0,
    detector: newDetector(cfg, now),
    filter: emptyFilterState(),
    heardAt: {},
    copies: initialCopies(baseCopies(cfg.haCf)),
    lastPeriodicSend: 0,
    armedFor: Infinity,
    stallReportedAt: -Infinity,
    lastTick: now,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function step(state: LoopState, input: LoopInput, now: number): { state: LoopState; effects: LoopEffect[] } {
  const t = new Turn({ ...state }, now);
  t.run(input);
  return { state: t.s, effects: t.fx };
}

/** One step's working copy: `s` is a copy of the state (its parts are replaced, never changed). */
class Turn {
  readonly fx: LoopEffect[] = [];
  private readonly h: LoopConfig["haCf"];
  constructor(
    readonly s: Mutable<LoopState>,
    private readonly now: number,
  ) {
    this.h = s.cfg.haCf;
  }

  run(i: LoopInput): void {
    if (this.s.phase === "stopped") return;
    switch (i.kind) {
      case "opened":
        return this.opened();
      case "announce":
        return this.announce();
      case "stop":
        this.s.phase = "stopped";
        return;
      case "payload":
        return this.setPayload(i.payload);
      case "heard":
        return this.heard(i.packet, i.medium, i.from);
      case "same-name":
        return this.sameName({ generation: i.generation, from: i.from, probing: i.probing, announcedMs: i.announcedMs });
      case "dropped":
        // While listening, nothing else is heard (or counted): the detector and the windows start at announce.
        if (this.s.phase === "announcing") this.fx.push({ kind: "count", outcome: "dropped", reason: i.reason, ...(i.rejected ? { rejected: i.rejected } : {}) });
        return;
      case "wake":
        return this.wake(i.timer);
    }
  }

  private wake(timer: LoopTimer): void {
    const s = this.s;
    switch (timer) {
      case "listen":
        if (s.phase !== "listening") return;
        s.readyPosted = true;
        this.post({ type: "ready" });
        if (s.cfg.announceOnStart) this.announce();
        return;
      case "probe":
        if (s.phase !== "listening") return;
        this.sendProbe();
        this.arm("probe", this.now + probeEveryMs(this.h.keepaliveMs));
        return;
      case "send":
        if (s.phase !== "announcing") return;
        s.lastPeriodicSend = this.now;
        this.sendHeartbeat();
        this.updateCopies();
        this.armSend();
        return;
      case "tick": {
        if (s.phase !== "announcing") return;
        // After a stall of this thread (SIGSTOP, VM pause) the timer fires before the queued packets
        // are read: do not count the stall as the peers' silence.
        const stall = this.now - Math.max(s.lastTick, s.stallReportedAt) - tickMs(this.h.keepaliveMs);
        s.lastTick = this.now;
        if (stall > stallThresholdMs(this.h.keepaliveMs)) this.reportStall(stall);
        this.feed({ kind: "tick" });
        this.arm("tick", this.now + tickMs(this.h.keepaliveMs));
        return;
      }
      case "deadline": {
        if (s.armedFor === Infinity) return;
        const d = s.armedFor;
        s.armedFor = Infinity;
        // Woken far later than asked: this thread was stalled, and the peers' packets are still queued.
        const late = this.now - Math.max(d + 1, s.stallReportedAt);
        if (late > stallThresholdMs(this.h.keepaliveMs)) this.reportStall(late);
        this.feed({ kind: "tick" });
        return;
      }
      case "stats":
        if (s.phase !== "announcing") return;
        this.fx.push({ kind: "report" });
        this.arm("stats", this.now + statsEveryMs(s.cfg));
        return;
    }
  }

  /** Listen before announcing: an agent already running as this node is heard within a few of its
   *  keepalives, and this one leaves without a trace. The probes let that agent record the attempt. */
  private opened(): void {
    if (this.s.phase !== "closed") return;
    this.s.phase = "listening";
    this.sendProbe();
    this.arm("probe", this.now + probeEveryMs(this.h.keepaliveMs));
    this.arm("listen", this.now + Math.max(0, this.s.cfg.listenFirstMs));
  }

  /** From listening to announcing: heartbeats, the detector (initdead counts from here), the ticks. */
  private announce(): void {
    const s = this.s;
    if (s.phase === "announcing") return;
    s.phase = "announcing";
    this.fx.push({ kind: "cancel", timer: "probe" });
    s.announcedAt = this.now;
    s.detector = newDetector(s.cfg, this.now);
    s.lastPeriodicSend = this.now;
    this.sendHeartbeat();
    this.armSend();
    s.lastTick = this.now;
    this.arm("tick", this.now + tickMs(this.h.keepaliveMs));
    this.arm("stats", this.now + statsEveryMs(s.cfg));
  }

  /** A changed payload (a group released or taken) goes out at once rather than at the next
   *  keepalive: that is what lets a planned switchover finish in milliseconds. */
  private setPayload(payload: unknown): void {
    const changed = JSON.stringify(payload) !== JSON.stringify(this.s.payload);
    this.s.payload = payload;
    if (changed && this.s.phase !== "closed") this.sendHeartbeat();
  }

  private heard(packet: WirePacket, medium: string, from: string): void {
    const s = this.s;
    if (s.phase !== "announcing") return;
    const r = admitHeard(s.filter, packet, { self: s.cfg.node, nowMs: this.now, releaseMs: this.h.deadtimeMs });
    s.filter = r.state;
    const o = r.outcome;
    if (o.kind === "drop") {
      if (o.peerDuplicate) this.post({ type: "peer-duplicate", ...o.peerDuplicate, from });
      // With ucast the agent that has the name sends only to its peers: the prober would hear
      // nothing and announce itself, so it is told on the medium its probe came in on.
      if (o.answerProbe) this.fx.push({ kind: "reply", packet: this.packet(0, takenEnvelope(o.answerProbe.peer, o.answerProbe.keptGeneration)), medium, to: from });
      this.fx.push({ kind: "count", outcome: "dropped", reason: o.reason });
      return;
    }
    if (o.kind === "duplicate") {
      this.fx.push({ kind: "count", outcome: "duplicate" });
      return;
    }
    this.fx.push({ kind: "count", outcome: "accepted" });
    const peer = o.packet.node;
    // The newer generation taken for this peer's restart was a second agent: this one is the peer again.
    if (o.reinstated) s.detector = reinstateGeneration(s.detector, peer, o.packet.generation);
    // Payload first: a peer that returns must be known to hold what it holds before it counts as up.
    if (o.payloadChanged) this.post({ type: "payload", peer, payload: o.report });
    s.heardAt = { ...s.heardAt, [peer]: this.now };
    this.feed({ kind: "heard", peer, generation: o.packet.generation, heardUsAgoMs: o.heardUsAgoMs });
    // More copies: the next send is brought forward, as a lease may be running out.
    if (this.updateCopies()) this.armSend();
  }

  private sameName(other: SameNameAgent): void {
    const s = this.s;
    if (s.phase !== "announcing" && !s.readyPosted) {
      // Two agents starting at once: the higher generation (the later start) gives way, as a
      // newcomer does to one already running; equal: both (docs/architecture.md, "one agent per node").
      if (!other.probing || other.generation <= s.cfg.generation) this.refuseStart(other);
      return;
    }
    this.post({ type: "same-name", other, announcedMs: s.phase === "announcing" ? this.now - s.announcedAt : null });
  }

  /** Another agent runs as this node: the start is refused before this one announced anything. */
  private refuseStart(other: SameNameAgent): void {
    this.s.phase = "stopped";
    const what = other.probing ? "is starting" : "already runs";
    this.post({
      type: "start-failed",
      message: `another agent ${what} as node ${this.s.cfg.node} (generation ${other.generation}, heartbeats from ${other.from}); refusing to start a second one`,
      sameName: other,
    });
    this.fx.push({ kind: "stop" });
  }

  private feed(input: DetectorInput): void {
    const r = detectorStep(this.s.detector, input, this.now);
    this.s.detector = r.state;
    for (const transition of r.transitions) this.post({ type: "transition", transition });
    this.armDeadline();
  }

  private reportStall(ms: number): void {
    this.s.stallReportedAt = this.now;
    this.feed({ kind: "stalled", ms });
  }

  /** The detector is woken exactly when a peer's silence could cross warntime, deadtime or initdead
   *  (nextDeadline), not by polling: precise detection, and few wake-ups on an idle cluster. A packet
   *  only moves deadlines later, so a wake that comes early just ticks and re-arms. */
  private armDeadline(): void {
    const d = nextDeadline(this.s.detector);
    if (d === undefined || d >= this.s.armedFor) return;
    this.s.armedFor = d;
    // +1 ms: thresholds are inclusive, and a timer must not wake a hair before the deadline.
    this.arm("deadline", Math.max(this.now, d) + 1);
  }

  /** The periodic send: a keepalive split by the copies, counted from the last periodic send. */
  private armSend(): void {
    const due = this.s.lastPeriodicSend + sendIntervalMs(this.h.keepaliveMs, this.s.copies.copies);
    this.arm("send", Math.max(this.now, due));
  }

  /** Heartbeats per keepalive, as the worst link calls for (loss-meter.ts). True when they rose. */
  private updateCopies(): boolean {
    const before = this.s.copies.copies;
    this.s.copies = nextCopies(this.s.copies, worstLinkLoss(this.s.filter, recentPeers(this.s, this.now)), this.now, copiesHoldMs(this.h.keepaliveMs), baseCopies(this.h));
    return this.s.copies.copies > before;
  }

  private sendHeartbeat(): void {
    const s = this.s;
    const envelope = wrapHeartbeatPayload(s.payload, heardAgo(s, this.now), lossReport(s.filter, recentPeers(s, this.now)), this.now - s.announcedAt);
    this.fx.push({ kind: "send", packet: this.packet(++s.seq, envelope) });
  }

  private sendProbe(): void {
    this.fx.push({ kind: "send", packet: this.packet(++this.s.seq, PROBE_ENVELOPE) });
  }

  private packet(seq: number, payload: unknown): WirePacket {
    return { node: this.s.cfg.node, cluster: this.h.cluster, generation: this.s.cfg.generation, seq, payload };
  }

  private arm(timer: LoopTimer, at: number): void {
    this.fx.push({ kind: "wake", timer, at });
  }

  private post(message: LoopPost): void {
    this.fx.push({ kind: "post", message });
  }
}

/** How long ago each peer read within deadtime was last read, to the millisecond. */
export function heardAgo(s: LoopState, now: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [peer, at] of Object.entries(s.heardAt)) if (now - at < s.cfg.haCf.deadtimeMs) out[peer] = Math.round(now - at);
  return out;
}

/** Peers read within deadtime: only their links' loss counts (a dead peer's last loss is history). */
export function recentPeers(s: LoopState, now: number): string[] {
  return Object.entries(s.heardAt)
    .filter(([, at]) => now - at < s.cfg.haCf.deadtimeMs)
    .map(([p]) => p);
}

export interface LinkStats {
  generation: number;
  expected: number;
  received: number;
  inPercent: number;
  outPercent: number;
}

/** Per peer heard lately: its packets this generation and the loss either way (for the stats). */
export function linkStats(s: LoopState, now: number): Record<string, LinkStats> {
  const links: Record<string, LinkStats> = {};
  for (const p of recentPeers(s, now)) {
    const w = s.filter.loss[p];
    if (!w) continue;
    links[p] = { generation: w.generation, expected: w.expected, received: w.received, inPercent: lossPercent(lossOf(w)), outPercent: s.filter.lossOfUs[p] ?? 0 };
  }
  return links;
}
