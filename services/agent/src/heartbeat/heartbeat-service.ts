// The main thread's handle on the heartbeat worker: start it, feed it the payload to advertise,
// and receive the failure detector's transitions, peers' payloads and packet counters as events.
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";
import type { AuthKeys, HaCf } from "@vigil/shared/config/schemas";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import { MAX_PAYLOAD_BYTES } from "@vigil/shared/heartbeat/packet";
import type { NodeReport, WireReport } from "@vigil/shared/heartbeat/node-report";
import { emptyStats, type FromWorker, type HeartbeatStats, type SameNameAgent, type ToWorker, type WorkerConfig } from "./worker-protocol.js";

export type { HeartbeatStats, SameNameAgent } from "./worker-protocol.js";

/** start() refused: another agent runs (or is starting) as this node. */
export class SameNameError extends Error {
  constructor(
    message: string,
    readonly other: SameNameAgent,
  ) {
    super(message);
    this.name = "SameNameError";
  }
}
export type { Transition } from "@vigil/shared/heartbeat/failure-detector";

export interface HeartbeatServiceOptions {
  node: string;
  /** Bumped at every agent start, so peers can tell a restart from a replay. */
  generation: number;
  haCf: HaCf;
  authKeys: AuthKeys;
  /** Advertised from the first heartbeat on (default null: no report yet). */
  payload?: WireReport | null;
  /** How often a `stats` event is emitted (default 5000 ms). */
  statsIntervalMs?: number;
  /** Listen this long after binding, sending only probes, before announcing this node: another agent
   *  heard in its name refuses the start (a SameNameError). Default 0. */
  listenFirstMs?: number;
  /** false: stay listening after start() until announce() (the agent records nothing before it
   *  knows it is the only agent of its node). Default true. */
  announceOnStart?: boolean;
  /** The built worker script; the default is the one beside this file in `dist/`. */
  workerUrl?: URL;
}

export interface HeartbeatServiceEvents {
  transition: [Transition];
  /** A peer's report changed (decoded: @vigil/shared/heartbeat/node-report; null, it sends none yet). */
  payload: [{ peer: string; payload: NodeReport | null }];
  stats: [HeartbeatStats];
  /** After the start, another agent heard in this node's name; `announcedMs`: how long this one has
   *  announced itself (the other's is in `other`). */
  "same-name": [{ other: SameNameAgent; announcedMs: number | null }];
  /** Two agents heard in a peer's name: its newer generation is refused (peer-twins.ts). */
  "peer-duplicate": [{ peer: string; generation: number; keptGeneration: number; from: string }];
  /** The worker died after start (a bug, not bad input): heartbeats have stopped. */
  error: [Error];
}

export type SetPayloadResult = { ok: true } | { ok: false; error: string };

export class HeartbeatService extends EventEmitter<HeartbeatServiceEvents> {
  private worker: Worker | null = null;
  private last: HeartbeatStats = emptyStats();
  private statsWaiters = new Map<number, (s: HeartbeatStats) => void>();
  private statsRequests = 0;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: HeartbeatServiceOptions) {
    super();
  }

  /** Resolves once every medium's socket is bound; rejects with the medium and the reason otherwise. */
  start(): Promise<void> {
    if (this.worker) return Promise.reject(new Error("heartbeat service already started"));
    const o = this.opts;
    const data: WorkerConfig = {
      node: o.node,
      generation: o.generation,
      haCf: o.haCf,
      authKeys: o.authKeys,
      payload: o.payload ?? null,
      statsIntervalMs: o.statsIntervalMs ?? 5000,
      listenFirstMs: o.listenFirstMs ?? 0,
      announceOnStart: o.announceOnStart ?? true,
    };
    // The worker holds a few sockets and small maps: a small heap keeps the agent's footprint down.
    const w = new Worker(o.workerUrl ?? new URL("./heartbeat-worker.js", import.meta.url), {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 },
    });
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      w.on("message", (m: FromWorker) => {
        switch (m.type) {
          case "ready":
            started = true;
            resolve();
            break;
          case "start-failed":
            this.worker = null;
            void w.terminate();
            reject(m.sameName ? new SameNameError(m.message, m.sameName) : new Error(m.message));
            break;
          case "same-name":
            this.emit("same-name", { other: m.other, announcedMs: m.announcedMs });
            break;
          case "peer-duplicate":
            this.emit("peer-duplicate", { peer: m.peer, generation: m.generation, keptGeneration: m.keptGeneration, from: m.from });
            break;
          case "transition":
            this.emit("transition", m.transition);
            break;
          case "payload":
            this.emit("payload", { peer: m.peer, payload: m.payload });
            break;
          case "stats":
            this.last = m.stats;
            if (m.id === undefined) this.emit("stats", m.stats);
            else this.statsWaiters.get(m.id)?.(m.stats);
            this.statsWaiters.delete(m.id ?? -1);
            break;
          case "stopped":
            this.last = m.stats;
            break;
        }
      });
      let failed = false;
      w.on("error", (e) => {
        failed = true;
        // After start this is a bug in the worker, not bad input; heartbeats have stopped, which peers
        // will read as this node's death, so it must not pass silently (unhandled, it ends the process).
        if (!started) reject(new Error(`heartbeat worker failed to start: ${e.message}`));
        else this.emit("error", new Error(`heartbeat worker failed: ${e.message}`));
      });
      w.on("exit", (code) => {
        if (!started) reject(new Error(`heartbeat worker exited with code ${code} before binding its sockets`));
        else if (!this.stopping && !failed) this.emit("error", new Error(`heartbeat worker exited with code ${code}`));
        this.worker = null;
        for (const f of this.statsWaiters.values()) f(this.last);
        this.statsWaiters.clear();
      });
    });
  }

  /** Ends the listen that start() began: heartbeats and the failure detector from now on. */
  announce(): void {
    this.post({ type: "announce" });
  }

  /** Closes the sockets and ends the worker (forcibly after 2 s). */
  stop(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.stopping ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => void w.terminate(), 2000);
      w.once("exit", () => {
        clearTimeout(force);
        this.stopping = null;
        resolve();
      });
      this.post({ type: "stop" });
    });
    return this.stopping;
  }

  /** Sets what the following heartbeats carry (JSON, at most 1 KiB encoded). */
  setPayload(payload: WireReport): SetPayloadResult {
    let json: string | undefined;
    try {
      json = JSON.stringify(payload);
    } catch (e) {
      return { ok: false, error: `heartbeat payload is not JSON: ${(e as Error).message}` };
    }
    if (json === undefined) return { ok: false, error: "heartbeat payload is not JSON" };
    const size = Buffer.byteLength(json);
    if (size > MAX_PAYLOAD_BYTES) {
      return { ok: false, error: `heartbeat payload is ${size} bytes; at most ${MAX_PAYLOAD_BYTES} fit` };
    }
    this.opts.payload = payload;
    this.post({ type: "payload", payload: JSON.parse(json) as WireReport });
    return { ok: true };
  }

  /** The counters as of the worker's last report (see `statsIntervalMs`). */
  stats(): HeartbeatStats {
    return this.last;
  }

  /** Asks the worker for its counters now. */
  currentStats(): Promise<HeartbeatStats> {
    if (!this.worker) return Promise.resolve(this.last);
    const id = ++this.statsRequests;
    return new Promise((resolve) => {
      this.statsWaiters.set(id, resolve);
      this.post({ type: "stats", id });
    });
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }
}
