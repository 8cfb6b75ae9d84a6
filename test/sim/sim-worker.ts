// One node's heartbeat worker (services/agent/src/heartbeat/heartbeat-worker.ts) on the simulator's
// clock: the real pure failure detector, the real replay window, and the worker's three timers
// mirrored line for line: a send every keepalive, a periodic tick every max(10, keepalive) that
// notices the thread's own stalls, and a deadline timer armed at nextDeadline + 1 ms; one stall is
// reported once (stallReportedAt). receive-filter.ts admitPacket's replay and newest-payload rules are
// mirrored too (signature, cluster and sender checks always pass here), and so is the heard-ago
// report: each packet carries, stamped at send time, how long ago this worker last read each peer
// (wrapHeartbeatPayload, the real function), and the receiver hands what it says of itself to the
// detector as `heardUsAgoMs`. The worker's sockets become `send` callbacks; its postMessage to the
// main thread becomes `post`. The listen before announcing (a duplicate-agent check, heartbeat-worker.ts
// start) only delays a boot and is not modelled.
import type { HaCf } from "@vigil/shared/config/schemas";
import { createDetector, nextDeadline, step, type DetectorInput, type DetectorState, type Transition } from "@vigil/shared/heartbeat/failure-detector";
import { checkReplay, type ReplayWindows } from "@vigil/shared/heartbeat/replay-window";
import { baseCopies, copiesHoldMs, initialCopies, nextCopies, noteHeard, sendIntervalMs } from "@vigil/shared/heartbeat/loss-meter";
import { emptyFilterState, lossReport, reportedLoss, unwrapHeartbeatPayload, worstLinkLoss, wrapHeartbeatPayload, type FilterState } from "@vigil/agent/heartbeat/receive-filter";

/** What the worker posts to the main thread (worker-protocol.ts FromWorker, the two that matter). */
export type WorkerPost = { type: "payload"; peer: string; payload: unknown } | { type: "transition"; transition: Transition };

export interface WorkerPacket {
  node: string;
  generation: number;
  seq: number;
  /** As on the wire: the envelope `{ a: heard-ago, p: payload }` (a bare payload reads as legacy). */
  payload: unknown;
}

export interface WorkerIo {
  now(): number;
  /** Broadcast one heartbeat on the node's medium. */
  send(packet: WorkerPacket): void;
  post(m: WorkerPost): void;
  /** setTimeout for the deadline timer: call `fire(token)` at `at`. */
  armAt(at: number, token: number): void;
  /** The periodic send's setTimeout (re-armed: the one armed before is cleared): call
   *  `periodicSend(token)` at `at`. */
  armSendAt(at: number, token: number): void;
  /** The run's trace (the simulator's, not the worker's: the real worker only counts). */
  trace(line: string): void;
}

export class SimWorker {
  private detector: DetectorState;
  private windows: ReplayWindows = {};
  /** Each peer's last payload as JSON (receive-filter.ts), to post only changes. */
  private payloads: Record<string, string> = {};
  /** receive-filter.ts FilterState's `loss` and `lossOfUs`: each peer's packets lost here, and what
   *  each peer says it loses of this node's. */
  private loss: Pick<FilterState, "loss" | "lossOfUs"> = emptyFilterState();
  private seq = 0;
  private copies = initialCopies();
  private lastPeriodicSend = 0;
  private sendToken = 0;
  /** heartbeat-worker.ts `heardAt`: when each peer's packet was last read (stall forgiveness does not
   *  shift it), the source of the heard-ago report. */
  private readonly heardAt = new Map<string, number>();
  private armedFor = Infinity;
  private armedDeadline = 0;
  private token = 0;
  /** heartbeat-worker.ts `stallReportedAt`: both timers notice one stall; only the first reports it. */
  private stallReportedAt = -Infinity;
  /** The periodic tick's last run (for its stall check). */
  lastTick: number;
  readonly tickMs: number;

  constructor(
    private readonly self: string,
    private readonly haCf: HaCf,
    private readonly generation: number,
    private payload: unknown,
    private readonly io: WorkerIo,
  ) {
    const now = io.now();
    this.detector = createDetector(
      haCf.nodes.filter((n) => n !== self),
      // heartbeat-worker.ts createDetector: a keepalive of slack for the peer's heard-ago report.
      { warntimeMs: haCf.warntimeMs, deadtimeMs: haCf.deadtimeMs, initdeadMs: haCf.initdeadMs, vouchSlackMs: haCf.keepaliveMs },
      now,
    );
    this.lastTick = now;
    this.tickMs = Math.max(10, haCf.keepaliveMs);
  }

  /** A wake-up this much later than scheduled means the thread itself was stopped (the worker's rule). */
  private get stallThresholdMs(): number {
    return 3 * Math.max(10, this.haCf.keepaliveMs);
  }

  /** heartbeat-worker.ts sendHeartbeat: the payload wrapped with the heard-ago report of this instant. */
  sendHeartbeat(): void {
    const payload = wrapHeartbeatPayload(this.payload, this.heardAgo(), lossReport(this.lossState(), this.recentPeers()));
    this.io.send({ node: this.self, generation: this.generation, seq: ++this.seq, payload });
  }

  /** heartbeat-worker.ts updateCopies: true when the copies rose. */
  private updateCopies(): boolean {
    const before = this.copies.copies;
    this.copies = nextCopies(this.copies, worstLinkLoss(this.lossState(), this.recentPeers()), this.io.now(), copiesHoldMs(this.haCf.keepaliveMs), baseCopies(this.haCf));
    return this.copies.copies > before;
  }

  /** Heartbeats per keepalive now. */
  get copiesNow(): number {
    return this.copies.copies;
  }

  /** heartbeat-worker.ts start(): the first heartbeat at once, then the periodic send armed. */
  startSending(): void {
    this.lastPeriodicSend = this.io.now();
    this.sendHeartbeat();
    this.armSend();
  }

  /** heartbeat-worker.ts armSend: due a keepalive split by the copies after the last periodic send. */
  private armSend(): void {
    const due = this.lastPeriodicSend + sendIntervalMs(this.haCf.keepaliveMs, this.copies.copies);
    const now = this.io.now();
    this.io.armSendAt(now + Math.max(0, due - now), ++this.sendToken);
  }

  /** armSend's setTimeout callback; `token` tells a cleared timer from the armed one. */
  periodicSend(token: number): void {
    if (token !== this.sendToken) return;
    this.lastPeriodicSend = this.io.now();
    this.sendHeartbeat();
    this.updateCopies();
    this.armSend();
  }

  /** heartbeat-worker.ts recentPeers: peers read within deadtime. */
  private recentPeers(): string[] {
    const t = this.io.now();
    return [...this.heardAt].filter(([, at]) => t - at < this.haCf.deadtimeMs).map(([p]) => p);
  }

  private lossState(): FilterState {
    return { windows: {}, payloads: {}, ...this.loss };
  }

  /** heartbeat-worker.ts heardAgo: only peers read within deadtime, rounded to the millisecond. */
  private heardAgo(): Record<string, number> {
    const t = this.io.now();
    const out: Record<string, number> = {};
    for (const [peer, at] of this.heardAt) if (t - at < this.haCf.deadtimeMs) out[peer] = Math.round(t - at);
    return out;
  }

  /** The main thread's setPayload: a changed payload is sent at once. */
  setPayload(p: unknown): void {
    const changed = JSON.stringify(p) !== JSON.stringify(this.payload);
    this.payload = p;
    if (changed) this.sendHeartbeat();
  }

  /** heartbeat-worker.ts onMessage after admitPacket (receive-filter.ts); simulated packets always
   *  pass the signature, cluster and sender checks. */
  receive(pkt: WorkerPacket): void {
    const r = checkReplay(this.windows, pkt.node, pkt.generation, pkt.seq);
    if (r.result.verdict !== "accept") return; // stale, replay or duplicate: dropped and counted
    this.windows = r.windows;
    // admitPacket: the report is split off the payload, and only the payload is compared.
    const { payload, heard, loss } = unwrapHeartbeatPayload(pkt.payload);
    const heardUsAgoMs = heard === undefined ? undefined : typeof heard[this.self] === "number" ? heard[this.self]! : null;
    const json = JSON.stringify(payload);
    // admitPacket: `newest = r.windows[p.node]?.highest === p.seq`, `payloadChanged = newest && …`.
    const newest = r.windows[pkt.node]?.highest === pkt.seq;
    if (!newest && heldDiffers(this.payloads[pkt.node], payload))
      this.io.trace(`${this.self} ignores ${pkt.node}'s late packet (seq ${pkt.seq} < ${r.windows[pkt.node]!.highest}): its held groups are out of date`);
    const payloadChanged = newest && this.payloads[pkt.node] !== json;
    if (payloadChanged) this.payloads[pkt.node] = json;
    // admitPacket: the newest packet's `l` says how many of ours the peer loses; every accepted packet
    // feeds the loss meter.
    const lossOfUs = newest ? { ...this.loss.lossOfUs, [pkt.node]: reportedLoss(loss, this.self) } : this.loss.lossOfUs;
    this.loss = { loss: noteHeard(this.loss.loss, pkt.node, pkt.generation, pkt.seq), lossOfUs };
    // onMessage: payload first, then heardAt, then the detector hears the packet and the report.
    if (payloadChanged) this.io.post({ type: "payload", peer: pkt.node, payload });
    this.heardAt.set(pkt.node, this.io.now());
    this.feed({ kind: "heard", peer: pkt.node, generation: pkt.generation, heardUsAgoMs });
    // onMessage: copies that rose bring the next send forward.
    if (this.updateCopies()) this.armSend();
  }

  /** The periodic setInterval callback (heartbeat-worker.ts start()). */
  periodicTick(): void {
    const t = this.io.now();
    const stall = t - Math.max(this.lastTick, this.stallReportedAt) - this.tickMs;
    this.lastTick = t;
    if (stall > this.stallThresholdMs) this.reportStall(stall, t);
    this.feed({ kind: "tick" });
  }

  /** The deadline setTimeout callback (armDeadline); `token` tells a superseded timer (clearTimeout)
   *  from the armed one. */
  deadlineFired(token: number): void {
    if (token !== this.token || this.armedFor === Infinity) return;
    const d = this.armedDeadline;
    this.armedFor = Infinity;
    const t = this.io.now();
    const late = t - Math.max(d + 1, this.stallReportedAt);
    if (late > this.stallThresholdMs) this.reportStall(late, t);
    this.feed({ kind: "tick" });
  }

  /** heartbeat-worker.ts reportStall. */
  private reportStall(ms: number, at: number): void {
    this.stallReportedAt = at;
    this.feed({ kind: "stalled", ms });
  }

  private feed(input: DetectorInput): void {
    const r = step(this.detector, input, this.io.now());
    this.detector = r.state;
    for (const t of r.transitions) this.io.post({ type: "transition", transition: t });
    this.armDeadline();
  }

  private armDeadline(): void {
    const d = nextDeadline(this.detector);
    if (d === undefined || d >= this.armedFor) return;
    this.armedFor = d;
    this.armedDeadline = d;
    this.token++;
    const now = this.io.now();
    this.io.armAt(now + Math.max(0, d - now) + 1, this.token);
  }
}

/** The late packet says other groups are held than the newest one did (the case that matters). */
function heldDiffers(newestJson: string | undefined, late: unknown): boolean {
  const held = (p: unknown) => JSON.stringify((p as { r?: unknown } | null)?.r ?? null);
  return newestJson !== undefined && held(JSON.parse(newestJson)) !== held(late);
}
