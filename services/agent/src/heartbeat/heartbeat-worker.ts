// The heartbeat loop's runtime, in a worker thread of its own so that neither garbage collection on
// the main thread nor a slow resource agent delays a keepalive or a verdict (heartbeat ran its own
// realtime-priority processes for the same reason). Everything it decides is the pure loop
// (@vigil/shared/heartbeat/heartbeat-loop); this file only gives it a clock, timers, the sockets
// (media-sockets.ts) with the edge's checks (receive-filter.ts), and the main thread (postMessage).
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { initLoop, linkStats, step, type LoopEffect, type LoopInput, type LoopTimer } from "@vigil/shared/heartbeat/heartbeat-loop";
import type { WirePacket } from "@vigil/shared/heartbeat/admit";
import { loopInput, screenPacket, type FilterContext } from "./receive-filter.js";
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
const edge: FilterContext = {
  self: cfg.node,
  generation: cfg.generation,
  cluster: haCf.cluster,
  nodes: new Set(haCf.nodes),
  authKeys: cfg.authKeys,
  allowCrc: haCf.allowCrc === true,
};
let loop = initLoop(cfg, now());
let endpoints: Endpoint[] = [];
const timers = new Map<LoopTimer, NodeJS.Timeout>();
let stopping = false;

function feed(input: LoopInput): void {
  const r = step(loop, input, now());
  loop = r.state;
  for (const e of r.effects) apply(e);
}

function apply(e: LoopEffect): void {
  switch (e.kind) {
    case "send":
      return sendAll(e.packet);
    case "reply":
      return reply(e.packet, e.medium, e.to);
    case "post":
      return post(e.message.type === "ready" ? { type: "ready", endpoints: endpoints.map((ep) => ep.label) } : e.message);
    case "wake": {
      clearTimeout(timers.get(e.timer));
      const timer = e.timer;
      timers.set(timer, setTimeout(() => (timers.delete(timer), feed({ kind: "wake", timer })), Math.max(0, e.at - now())));
      return;
    }
    case "cancel":
      clearTimeout(timers.get(e.timer));
      timers.delete(e.timer);
      return;
    case "count":
      if (e.outcome === "accepted") stats.accepted++;
      else if (e.outcome === "duplicate") stats.duplicates++;
      else {
        stats.dropped[e.reason]++;
        if (e.rejected) noteRejected(stats.rejected, e.rejected);
      }
      return;
    case "report":
      return post({ type: "stats", stats: currentStats() });
    case "stop":
      return void stop();
  }
}

function onMessage(msg: Buffer, label: string, from: string): void {
  stats.received++;
  const s = screenPacket(msg, edge);
  feed(loopInput(s, label, from, s.kind === "drop" ? rejectedSender(msg, s.reason, edge) : undefined));
}

function currentStats() {
  stats.links = linkStats(loop, now());
  stats.copies = loop.copies.copies;
  return stats;
}

function onSocketError(e: Error): void {
  stats.sendErrors++;
  stats.lastSendError = e.message;
}

function encode(p: WirePacket): Buffer | null {
  const enc = encodePacket(p, cfg.authKeys, { allowCrc: edge.allowCrc });
  if (enc.ok) return enc.bytes;
  // Only a config problem can cause this (checked at start), so count it like a failed send.
  onSocketError(new Error(`cannot encode heartbeat: ${enc.reason}`));
  return null;
}

function sendAll(p: WirePacket): void {
  const bytes = encode(p);
  if (!bytes) return;
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

/** One datagram to `from` (`address:port`) on the medium `label`. */
function reply(p: WirePacket, label: string, from: string): void {
  const ep = endpoints.find((e) => e.label === label);
  const i = from.lastIndexOf(":");
  const to = Number(from.slice(i + 1));
  if (!ep || i < 0 || !Number.isInteger(to)) return;
  const bytes = encode(p);
  if (!bytes) return;
  try {
    ep.socket.send(bytes, to, from.slice(0, i).replace(/^\[|\]$/g, ""), (err) => (err ? onSocketError(err) : stats.sent++));
  } catch (e) {
    onSocketError(e as Error);
  }
}

async function start(): Promise<void> {
  const probe = encodePacket({ node: cfg.node, cluster: haCf.cluster, generation: cfg.generation, seq: 0, payload: cfg.payload }, cfg.authKeys, { allowCrc: edge.allowCrc });
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
  feed({ kind: "opened" });
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  feed({ kind: "stop" });
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  await closeMedia(endpoints);
  endpoints = [];
  post({ type: "stopped", stats: currentStats() });
  port.close();
}

port.on("message", (m: ToWorker) => {
  if (m.type === "payload") feed({ kind: "payload", payload: m.payload });
  else if (m.type === "stats") post({ type: "stats", stats: currentStats(), id: m.id });
  else if (m.type === "announce") feed({ kind: "announce" });
  else if (m.type === "stop") void stop();
});

void start();
