// The heartbeat loop, in a worker thread of its own so that neither garbage collection on the main
// thread nor a slow resource agent delays a keepalive or a verdict (heartbeat ran its own
// realtime-priority processes for the same reason). It sends every keepalive on every medium (more
// often while a link loses packets: loss-meter.ts),
// checks what it hears, runs the failure detector on its own timer and posts transitions.
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { createDetector, nextDeadline, reinstateGeneration, step, type DetectorInput } from "@vigil/shared/heartbeat/failure-detector";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { baseCopies, copiesHoldMs, initialCopies, lossOf, lossPercent, nextCopies, sendIntervalMs } from "@vigil/shared/heartbeat/loss-meter";
import { admitPacket, emptyFilterState, lossReport, PROBE_ENVELOPE, worstLinkLoss, wrapHeartbeatPayload, takenEnvelope, type FilterContext } from "./receive-filter.js";
import { closeMedia, openMedia, type Endpoint } from "./media-sockets.js";
import { noteRejected, rejectedSender } from "./peer-rejections.js";
import { emptyStats, type FromWorker, type ToWorker, type WorkerConfig } from "./worker-protocol.js";

if (!parentPort) throw new Error("heartbeat-worker must run as a worker thread");
const port: MessagePort = parentPort;
const cfg = workerData as WorkerConfig;
const { haCf } = cfg;
const post = (m: FromWorker) => port.postMessage(m);

// Monotonic (a wall-clock step must not make a peer look dead), yet close to epoch milliseconds.
const now = () => performance.timeOrigin + performance.now();

const stats = emptyStats();
const ctx: FilterContext = {
  self: cfg.node,
  generation: cfg.generation,
  cluster: haCf.cluster,
  nodes: new Set(haCf.nodes),
  authKeys: cfg.authKeys,
  allowCrc: haCf.allowCrc === true,
  // A second agent in a peer's name is let in once the one it was refused for is dead (peer-twins.ts).
  releaseMs: haCf.deadtimeMs,
};
let filter = emptyFilterState();
let detector = createDetector(
  haCf.nodes.filter((n) => n !== cfg.node),
  { warntimeMs: haCf.warntimeMs, deadtimeMs: haCf.deadtimeMs, initdeadMs: haCf.initdeadMs, vouchSlackMs: haCf.keepaliveMs },
  now(),
);
let payload = cfg.payload;
let seq = 0;
let endpoints: Endpoint[] = [];
const timers: NodeJS.Timeout[] = [];
let sendTimer: NodeJS.Timeout | null = null;
let stopping = false;

function feed(input: DetectorInput): void {
  const r = step(detector, input, now());
  detector = r.state;
  for (const t of r.transitions) post({ type: "transition", transition: t });
  armDeadline();
}

/** A wake-up this much later than scheduled means this thread itself was stopped. */
const stallThresholdMs = () => 3 * Math.max(10, haCf.keepaliveMs);
/** Both timers notice one stall; the second must not forgive it again. */
let stallReportedAt = -Infinity;
function reportStall(ms: number, at: number): void {
  stallReportedAt = at;
  feed({ kind: "stalled", ms });
}

// The detector is woken exactly when a peer's silence could cross warntime, deadtime or initdead
// (nextDeadline), not by polling: precise detection, and few wake-ups on an idle cluster. A packet
// only moves deadlines later, so an armed timer that fires early just ticks and re-arms.
let deadlineTimer: NodeJS.Timeout | null = null;
let armedFor = Infinity;
function armDeadline(): void {
  const d = nextDeadline(detector);
  if (d === undefined || d >= armedFor) return;
  if (deadlineTimer) clearTimeout(deadlineTimer);
  armedFor = d;
  // +1 ms: thresholds are inclusive, and a timer must not wake a hair before the deadline.
  deadlineTimer = setTimeout(() => {
    deadlineTimer = null;
    armedFor = Infinity;
    // Woken far later than asked: this thread was stalled, and the peers' packets are still queued.
    const t = now();
    const late = t - Math.max(d + 1, stallReportedAt);
    if (late > stallThresholdMs()) reportStall(late, t);
    feed({ kind: "tick" });
  }, Math.max(0, d - now()) + 1);
}

/** "listening": bound, sending only probes, hearing only whether another agent has this node's name;
 *  "announcing": a member (sends heartbeats, runs the detector). */
let phase: "listening" | "announcing" = "listening";
/** The listen has passed without another agent of this name: start() has resolved. */
let readyPosted = false;
let announcedAt = 0;

function onMessage(msg: Buffer, label: string, from: string): void {
  stats.received++;
  const r = admitPacket(filter, msg, { ...ctx, nowMs: now() });
  const o = r.outcome;
  if (o.kind === "same-name") {
    const other = { generation: o.generation, from, probing: o.probing, announcedMs: o.announcedMs };
    if (phase === "listening" && !readyPosted) {
      // Two agents starting at once: the one with the higher generation gives way (equal: both).
      if (!o.probing || o.generation >= cfg.generation) refuseStart(other);
    } else post({ type: "same-name", other, announcedMs: phase === "announcing" ? now() - announcedAt : null });
    return;
  }
  // While listening, nothing else is heard: the detector and the replay windows start at announce.
  if (phase === "listening") return;
  filter = r.state;
  if (o.kind === "drop" && o.peerDuplicate) post({ type: "peer-duplicate", ...o.peerDuplicate, from });
  if (o.kind === "drop" && o.answerProbe) answerProbe(o.answerProbe.peer, o.answerProbe.keptGeneration, label, from);
  if (o.kind === "drop") {
    stats.dropped[o.reason]++;
    const rejected = rejectedSender(msg, o.reason, ctx);
    if (rejected) noteRejected(stats.rejected, rejected);
    return;
  }
  if (o.kind === "duplicate") {
    stats.duplicates++;
    return;
  }
  stats.accepted++;
  // The newer generation taken for this peer's restart was a second agent: this one is the peer again.
  if (o.reinstated) detector = reinstateGeneration(detector, o.packet.node, o.packet.generation);
  // Payload first: a peer that returns must be known to hold what it holds before it counts as up.
  if (o.payloadChanged) post({ type: "payload", peer: o.packet.node, payload: o.packet.payload });
  heardAt.set(o.packet.node, now());
  feed({ kind: "heard", peer: o.packet.node, generation: o.packet.generation, heardUsAgoMs: o.heardUsAgoMs });
  if (updateCopies() && endpoints.length > 0) armSend();
}

/** When each peer's packet was last read (not shifted by stall forgiveness): peers learn from it
 *  how long ago this node last heard them, and count their lease from that. */
const heardAt = new Map<string, number>();
function heardAgo(): Record<string, number> {
  const t = now();
  const out: Record<string, number> = {};
  for (const [peer, at] of heardAt) if (t - at < haCf.deadtimeMs) out[peer] = Math.round(t - at);
  return out;
}

/** Peers read within deadtime: only their links' loss counts (a dead peer's last loss is history). */
function recentPeers(): string[] {
  const t = now();
  return [...heardAt].filter(([, at]) => t - at < haCf.deadtimeMs).map(([p]) => p);
}

/** Heartbeats per keepalive, as the worst link calls for (loss-meter.ts). Returns true when they
 *  rose: the next send is brought forward then, as a lease may be running out. */
let copies = initialCopies(baseCopies(haCf));
function updateCopies(): boolean {
  const before = copies.copies;
  copies = nextCopies(copies, worstLinkLoss(filter, recentPeers()), now(), copiesHoldMs(haCf.keepaliveMs), baseCopies(haCf));
  stats.copies = copies.copies;
  return copies.copies > before;
}

/** The periodic send: a keepalive split by the copies, counted from the last periodic send. */
let lastPeriodicSend = 0;
function armSend(): void {
  if (stopping) return;
  if (sendTimer) clearTimeout(sendTimer);
  const due = lastPeriodicSend + sendIntervalMs(haCf.keepaliveMs, copies.copies);
  sendTimer = setTimeout(() => {
    sendTimer = null;
    lastPeriodicSend = now();
    sendHeartbeat();
    updateCopies();
    armSend();
  }, Math.max(0, due - now()));
}

function linkStats(): void {
  stats.links = {};
  for (const p of recentPeers()) {
    const w = filter.loss[p];
    if (!w) continue;
    stats.links[p] = { generation: w.generation, expected: w.expected, received: w.received, inPercent: lossPercent(lossOf(w)), outPercent: filter.lossOfUs[p] ?? 0 };
  }
}

function onSocketError(e: Error): void {
  stats.sendErrors++;
  stats.lastSendError = e.message;
}

function sendHeartbeat(): void {
  const enc = encodePacket(
    { node: cfg.node, cluster: haCf.cluster, generation: cfg.generation, seq: ++seq, payload: wrapHeartbeatPayload(payload, heardAgo(), lossReport(filter, recentPeers()), now() - announcedAt) },
    cfg.authKeys,
    { allowCrc: ctx.allowCrc },
  );
  if (!enc.ok) {
    // Only a config problem can cause this (checked at start), so count it like a failed send.
    onSocketError(new Error(`cannot encode heartbeat: ${enc.reason}`));
    return;
  }
  sendBytes(enc.bytes);
}

function sendBytes(bytes: Buffer): void {
  for (const ep of endpoints) {
    for (const t of ep.targets) {
      try {
        ep.socket.send(bytes, t.port, t.address, (err) => {
          if (err) onSocketError(new Error(`${ep.label} -> ${t.address}:${t.port}: ${err.message}`));
          else stats.sent++;
        });
      } catch (e) {
        onSocketError(e as Error); // e.g. the socket closed under us during stop
      }
    }
  }
}

/** Tells a prober, on the medium its probe came in on, that its name is taken: with ucast the agent
 *  that has it sends only to its peers, so the prober would hear nothing and announce itself. */
function answerProbe(node: string, generation: number, label: string, from: string): void {
  const ep = endpoints.find((e) => e.label === label);
  const i = from.lastIndexOf(":");
  const port = Number(from.slice(i + 1));
  if (!ep || i < 0 || !Number.isInteger(port)) return;
  const enc = encodePacket({ node: cfg.node, cluster: haCf.cluster, generation: cfg.generation, seq: 0, payload: takenEnvelope(node, generation) }, cfg.authKeys, {
    allowCrc: ctx.allowCrc,
  });
  if (!enc.ok) return;
  try {
    ep.socket.send(enc.bytes, port, from.slice(0, i).replace(/^\[|\]$/g, ""), (err) => (err ? onSocketError(err) : stats.sent++));
  } catch (e) {
    onSocketError(e as Error);
  }
}

let refused = false;
/** Another agent runs as this node: the start is refused before this one announced anything. */
function refuseStart(other: { generation: number; from: string; probing: boolean; announcedMs: number | null }): void {
  if (refused) return;
  refused = true;
  const what = other.probing ? "is starting" : "already runs";
  post({
    type: "start-failed",
    message: `another agent ${what} as node ${cfg.node} (generation ${other.generation}, heartbeats from ${other.from}); refusing to start a second one`,
    sameName: other,
  });
  void stop();
}

function sendProbe(): void {
  const enc = encodePacket({ node: cfg.node, cluster: haCf.cluster, generation: cfg.generation, seq: ++seq, payload: PROBE_ENVELOPE }, cfg.authKeys, {
    allowCrc: ctx.allowCrc,
  });
  if (enc.ok) sendBytes(enc.bytes);
}

/** From listening to announcing: heartbeats, the detector (initdead counts from here), stats. */
function announce(): void {
  if (phase === "announcing" || stopping) return;
  phase = "announcing";
  if (probeTimer) clearInterval(probeTimer);
  announcedAt = now();
  detector = createDetector(
    haCf.nodes.filter((n) => n !== cfg.node),
    { warntimeMs: haCf.warntimeMs, deadtimeMs: haCf.deadtimeMs, initdeadMs: haCf.initdeadMs, vouchSlackMs: haCf.keepaliveMs },
    now(),
  );
  lastPeriodicSend = now();
  sendHeartbeat();
  armSend();
  startTimers();
}

async function start(): Promise<void> {
  const probe = encodePacket(
    { node: cfg.node, cluster: haCf.cluster, generation: cfg.generation, seq: 0, payload },
    cfg.authKeys,
    { allowCrc: ctx.allowCrc },
  );
  if (!probe.ok) {
    post({ type: "start-failed", message: `heartbeat: cannot sign packets: ${probe.reason}` });
    return;
  }
  const opened = await openMedia(haCf, onMessage, onSocketError);
  if (!opened.ok) {
    post({ type: "start-failed", message: opened.error });
    return;
  }
  endpoints = opened.endpoints;
  // Listen before announcing: an agent already running as this node is heard within a few of its
  // keepalives, and this one leaves without a trace. The probes let that agent record the attempt.
  sendProbe();
  probeTimer = setInterval(sendProbe, Math.max(1, haCf.keepaliveMs));
  setTimeout(() => {
    if (refused || stopping) return;
    readyPosted = true;
    post({ type: "ready", endpoints: endpoints.map((e) => e.label) });
    if (cfg.announceOnStart) announce();
  }, Math.max(0, cfg.listenFirstMs));
}

let probeTimer: NodeJS.Timeout | null = null;

/** The rest of announce(): the periodic tick and the stats. */
function startTimers(): void {
  // A slow periodic tick as well: it notices this thread's own stalls, and is a safety net.
  const tickMs = Math.max(10, haCf.keepaliveMs);
  let lastTick = now();
  timers.push(
    setInterval(() => {
      // After a stall of this thread (SIGSTOP, VM pause) the timer fires before the queued packets are
      // read: do not count the stall as the peers' silence.
      const t = now();
      const stall = t - Math.max(lastTick, stallReportedAt) - tickMs;
      lastTick = t;
      if (stall > stallThresholdMs()) reportStall(stall, t);
      feed({ kind: "tick" });
    }, tickMs),
  );
  timers.push(setInterval(() => (linkStats(), post({ type: "stats", stats })), Math.max(100, cfg.statsIntervalMs)));
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (probeTimer) clearInterval(probeTimer);
  for (const t of timers) clearInterval(t);
  if (sendTimer) clearTimeout(sendTimer);
  if (deadlineTimer) clearTimeout(deadlineTimer);
  await closeMedia(endpoints);
  endpoints = [];
  post({ type: "stopped", stats });
  port.close();
}

port.on("message", (m: ToWorker) => {
  if (m.type === "payload") {
    // A changed payload (a group released or taken) goes out at once rather than at the next
    // keepalive: that is what lets a planned switchover finish in milliseconds.
    const changed = JSON.stringify(m.payload) !== JSON.stringify(payload);
    payload = m.payload;
    if (changed && endpoints.length > 0) sendHeartbeat();
  }
  else if (m.type === "stats") {
    linkStats();
    post({ type: "stats", stats, id: m.id });
  }
  else if (m.type === "announce") announce();
  else if (m.type === "stop") void stop();
});

void start();
