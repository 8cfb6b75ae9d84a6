// The node daemon: wires the heartbeat service, the membership view, the outbox and the event log
// together. Everything deciding lives in pure modules; this file is the imperative shell.
import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { loadConfig } from "@vigil/shared/config/load-config";
import { formatConfigError } from "@vigil/shared/config/config-error";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { makeEvent, streamName, type EventBody, type EventType, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { HeartbeatService } from "./heartbeat/heartbeat-service.js";
import { members, onTransition, type MembershipState, type PeerTransition } from "./membership/membership-events.js";
import { stepLinkQuality, type LinkQualityState } from "./membership/link-quality.js";
import type { HeartbeatStats } from "./heartbeat/heartbeat-service.js";
import { Outbox } from "./events/outbox.js";
import { Publisher } from "./events/publisher.js";
import { connectNats, parseNatsUrls } from "./nats/connection.js";
import { ensureEventStream } from "./nats/event-stream.js";
import { ensureLocalNats, type LocalNats } from "./nats/local-server.js";
import { acquireStateDirLock, bumpGeneration } from "./state-dir.js";
import { judgeSameName, listenBeforeAnnounceMs } from "./membership/duplicate-node.js";
import type { SameNameAgent } from "./heartbeat/heartbeat-service.js";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { Controller } from "./cluster/controller.js";
import { fenceAgent } from "./cluster/fence-agent.js";
import { PingWitness } from "./cluster/ping-witness.js";
import { NatsWitness } from "./cluster/nats-witness.js";
import { hasQuorum } from "@vigil/shared/placement/quorum";
import { buildResources } from "./cluster/resources.js";
import { LogFollower } from "./nats/log-follower.js";
import { loadViewSnapshot, saveViewSnapshot } from "./events/view-snapshot.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { agentLogger } from "./logger.js";

export const VERSION = "0.1.0";

export interface AgentOptions {
  configDir: string;
  node?: string;
  nats?: string[];
  stateDir?: string;
}

export class Agent {
  readonly node: string;
  readonly log: Logger;
  private cfg!: ClusterConfig;
  private generation = 0;
  private counter = 0;
  private outbox!: Outbox;
  private publisher!: Publisher;
  private nc!: NatsConnection;
  private localNats: LocalNats | null = null;
  private hb!: HeartbeatService;
  private membership!: MembershipState;
  private lastDropped = "";
  private links: LinkQualityState = {};
  private releaseLock: () => void = () => {};
  /** Generations of other agents in this node's name already recorded (DuplicateNode once each). */
  private sameNameSeen = new Set<number>();
  private statsTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private view!: ClusterView;
  private follower!: LogFollower;
  private controller!: Controller;
  private tickTimer: NodeJS.Timeout | null = null;
  private snapshotPath = "";
  private savedSeq = 0;
  private ping: PingWitness | null = null;
  private natsWitness: NatsWitness | null = null;

  constructor(private readonly o: AgentOptions) {
    this.node = o.node ?? hostname();
    this.log = agentLogger(this.node);
  }

  /** Returns config errors (already formatted) instead of starting when the config is bad. */
  async start(): Promise<string[] | null> {
    const loaded = await loadConfig(this.o.configDir, { localNode: this.node });
    if (!loaded.ok) return loaded.errors.map(formatConfigError);
    this.cfg = loaded.value;
    const { haCf } = this.cfg;
    const built = buildResources(this.cfg);
    if (!built.ok) return built.errors;
    const stateDir = this.o.stateDir ?? `/var/lib/vigil/${this.node}`;
    // Nothing is recorded (not even in the outbox, which a later start would publish) until this is
    // known to be the node's only agent: one per state dir (the lock), and none heard in its name on
    // the heartbeat media (the listen before announcing), whose sockets must bind first.
    const lock = acquireStateDirLock(stateDir);
    if (!lock.ok) {
      throw new Error(`node ${this.node} already runs from state dir ${stateDir} (pid ${lock.holder.pid}, ${lock.path}); refusing to start a second agent on it`);
    }
    this.releaseLock = lock.release;
    this.generation = bumpGeneration(stateDir, Date.now());
    this.hb = new HeartbeatService({
      node: this.node,
      generation: this.generation,
      haCf,
      authKeys: this.cfg.authKeys,
      listenFirstMs: listenBeforeAnnounceMs(haCf),
      announceOnStart: false,
    });
    try {
      await this.hb.start();
    } catch (e) {
      lock.release();
      throw e;
    }
    this.outbox = Outbox.open(stateDir);
    this.membership = { self: this.node, alive: new Set() };

    let servers = this.o.nats && this.o.nats.length > 0 ? parseNatsUrls(this.o.nats) : parseNatsUrls(haCf.nats);
    if (servers.length === 0) {
      this.localNats = await ensureLocalNats(`${stateDir}/nats`);
      servers = [this.localNats.url];
      this.log.info({ url: this.localNats.url }, "no NATS configured: using a local nats-server");
    }
    this.nc = await connectNats({ servers, name: `vigil-agent-${this.node}`, waitOnFirstConnect: true });
    this.publisher = new Publisher(this.nc, { cluster: haCf.cluster, outbox: this.outbox, log: this.log });
    this.publisher.start();
    void this.ensureStream(servers.length >= 3 ? 3 : 1);
    this.watchNats();

    this.record("AgentStarted", { generation: this.generation, version: VERSION, pid: process.pid }, "agent started");
    this.record("ConfigLoaded", configSummary(this.cfg), `configuration read from ${this.cfg.dir}`);

    this.snapshotPath = `${stateDir}/view.json`;
    this.view = (await this.loadSnapshot(haCf.cluster)) ?? emptyView(haCf.cluster);
    this.controller = new Controller({
      cfg: this.cfg,
      self: this.node,
      log: this.log,
      view: this.view,
      resources: built.resources,
      record: (type, body, cause) => this.record(type, body, cause),
      append: (e) => (this.outbox.append(e), this.publisher.kick()),
      nextId: () => this.nextId(),
      setPayload: (p) => void this.hb.setPayload(p),
      witness: () => this.witness(),
      now: () => Date.now(),
      failbackStableMs: Math.max(haCf.deadtimeMs, 1_000),
      ...(haCf.fence ? { fence: fenceAgent(haCf.fence) } : {}),
    });
    this.hb.on("transition", (t: PeerTransition) => this.onPeerTransition(t));
    this.hb.on("payload", ({ peer, payload }: { peer: string; payload: unknown }) => this.controller.onPeerPayload(peer, payload));
    this.hb.on("stats", (s) => this.onLinkStats(s));
    this.hb.on("same-name", ({ other, announcedMs }) => this.onSameName(other, announcedMs));
    // Without its heartbeat this node cannot know it is still in the cluster: stop everything, leave.
    this.hb.on("error", (err: Error) => {
      this.log.fatal({ err: err.message }, "heartbeat worker failed; stopping the node's groups");
      void this.stop("heartbeat worker failed").then(() => process.exit(1));
    });
    this.hb.announce();
    // Fold what the log already holds (standby, moves, failcounts) before deciding anything, but do not
    // wait for an absent log longer than initdead: decisions must not depend on NATS being up.
    this.follower = new LogFollower(this.nc, haCf.cluster, this.view, this.log, (e) => this.controller.onLogEvent(e));
    this.follower.start();
    await Promise.race([this.follower.caughtUp, new Promise((r) => setTimeout(r, haCf.initdeadMs))]);
    // Witnesses only matter in two-node clusters; the lease for them is warntime, like the peers'.
    if (haCf.nodes.length === 2) {
      this.natsWitness = new NatsWitness(this.nc, haCf.warntimeMs, Math.max(20, Math.floor(haCf.keepaliveMs / 2)));
      this.natsWitness.start((reachable) => {
        this.log.info({ reachable }, reachable ? "NATS witness reachable" : "NATS witness unreachable");
        this.controller.tick();
      });
    }
    if (haCf.pingNodes.length > 0) {
      this.ping = new PingWitness({ nodes: haCf.pingNodes, intervalMs: Math.max(20, Math.floor(haCf.keepaliveMs / 2)), leaseMs: haCf.warntimeMs });
      this.ping.start((answering) => {
        this.log.info({ pingNodes: haCf.pingNodes, answering }, answering ? "a ping node answers" : "no ping node answers");
        this.controller.tick();
      });
    }
    this.controller.start();
    // Everything that changes membership or groups wakes the controller itself; this timer only
    // catches time passing (initdead, the failback stability delay, the rejoin wait).
    this.tickTimer = setInterval(() => this.controller.tick(), Math.max(250, haCf.keepaliveMs));
    this.statsTimer = setInterval(() => {
      this.reportDrops();
      this.saveSnapshot();
    }, 10_000);
    this.statsTimer.unref();
    this.log.info({ generation: this.generation, servers, media: haCf.media.length }, "agent running");
    return null;
  }

  /** SIGTERM: leave the cluster cleanly, publish what is pending (bounded), exit 0. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, "agent stopping");
      this.record("AgentStopping", { reason }, reason);
      if (this.statsTimer) clearInterval(this.statsTimer);
      if (this.tickTimer) clearInterval(this.tickTimer);
      this.ping?.stop();
      this.natsWitness?.stop();
      await this.controller?.stopAll(60_000);
      await this.hb?.stop();
      await this.follower?.stop();
      this.saveSnapshot();
      this.record("AgentStopped", {}, reason);
      const left = await this.publisher.drain(5_000);
      if (left > 0) this.log.warn({ pending: left }, "events still in the outbox; they are published at next start");
      await this.publisher.stop();
      this.outbox.close();
      await this.nc.close().catch(() => {});
      await this.localNats?.stop();
      this.releaseLock();
    })();
    return this.stopping;
  }

  /** Writes an event to the outbox (durable) and lets the publisher send it. */
  record<T extends EventType>(type: T, body: EventBody<T>, cause: string, causeId?: string): VigilEvent {
    const e = makeEvent(type, body, {
      id: this.nextId(),
      node: this.node,
      time: Date.now(),
      cause,
      ...(causeId ? { causeId } : {}),
    });
    this.outbox.append(e);
    this.publisher.kick();
    return e;
  }

  /** SIGHUP: read the configuration again. A bad one is refused and the last good one stays in force. */
  async reload(): Promise<void> {
    const loaded = await loadConfig(this.o.configDir, { localNode: this.node });
    if (!loaded.ok) {
      const errors = loaded.errors.map(formatConfigError);
      for (const line of errors) this.log.error(line);
      this.record("ConfigRejected", { errors }, "configuration read on SIGHUP is invalid; keeping the last good one");
      return;
    }
    const before = JSON.stringify({ ...this.cfg, dir: "" });
    const after = JSON.stringify({ ...loaded.value, dir: "" });
    if (before === after) {
      this.log.info("configuration unchanged");
      return;
    }
    // Heartbeat media, keys and groups are wired at start; changing them under running groups is a
    // restart's job (as heartbeat's own reload restarts its children).
    this.log.warn("configuration changed and valid; it takes effect when the agent restarts");
  }

  /** Two-node clusters: the NATS cluster reachable, or a `ping` node answering. */
  private witness(): boolean {
    return (this.natsWitness?.reachable() ?? false) || (this.ping?.answering() ?? false);
  }

  /** The fold as it stood when this node last saved it, if the stream can continue it; read only
   *  when NATS answers quickly (decisions never wait for it). */
  private async loadSnapshot(cluster: string): Promise<ClusterView | null> {
    try {
      const jsm = await jetstreamManager(this.nc, { timeout: 1_000 });
      const info = await jsm.streams.info(streamName(cluster));
      const v = loadViewSnapshot(this.snapshotPath, cluster, { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq });
      if (v) this.log.info({ lastSeq: v.lastSeq }, "fold restored from the local snapshot; reading the tail");
      return v;
    } catch {
      return null;
    }
  }

  private saveSnapshot(): void {
    if (!this.view || this.view.lastSeq === this.savedSeq) return;
    try {
      saveViewSnapshot(this.snapshotPath, this.view);
      this.savedSeq = this.view.lastSeq;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "cannot save the fold's snapshot");
    }
  }

  private nextId(): string {
    return `${this.node}.${this.generation}.${++this.counter}`;
  }

  private onPeerTransition(t: PeerTransition): void {
    this.controller.onPeer(t.peer, t.to, t.at, t.generation);
    const before = members(this.membership).join(",");
    const { state, events } = onTransition(this.membership, t, {
      id: () => this.nextId(),
      node: this.node,
      time: t.at,
    });
    this.membership = state;
    for (const e of events) {
      this.outbox.append(e);
      this.log.info({ event: e.type, peer: t.peer, silentMs: t.silentMs }, e.cause);
    }
    const now = members(state);
    if (now.join(",") !== before) {
      const quorum = hasQuorum({ configuredNodes: this.cfg.haCf.nodes, reachableNodes: now, witnessReachable: this.witness() });
      this.record("MembershipChanged", { members: now, quorum }, `${t.peer} is ${t.to}`);
    }
    this.publisher.kick();
  }

  /** Another agent heard in this node's name after the start: the one that came later leaves. */
  private onSameName(other: SameNameAgent, announcedMs: number | null): void {
    if (this.sameNameSeen.has(other.generation) || this.stopping) return;
    this.sameNameSeen.add(other.generation);
    const verdict = judgeSameName({ generation: this.generation, announcedMs }, other);
    const cause =
      verdict === "keep"
        ? `another agent ${other.probing ? "tried to start" : "runs"} as ${this.node} (generation ${other.generation}, from ${other.from}); this one was here first and keeps the node`
        : `another agent has run as ${this.node} for longer (generation ${other.generation}, from ${other.from}); this one leaves`;
    this.log.error({ event: "DuplicateNode", otherGeneration: other.generation, from: other.from, verdict }, cause);
    this.record("DuplicateNode", { otherGeneration: other.generation, from: other.from, refused: verdict === "keep" ? "other" : "this" }, cause);
    if (verdict === "leave") {
      process.stderr.write(`vigil agent: ${cause}\n`);
      void this.stop("another agent runs as this node").then(() => process.exit(1));
    }
  }

  /** A lossy link warns (LinkLossy, rate-limited), it does not flap: the worker sends more heartbeats. */
  private onLinkStats(s: HeartbeatStats): void {
    const r = stepLinkQuality(this.links, s.links, s.copies, Date.now());
    this.links = r.state;
    for (const n of r.notices) {
      if (n.type === "LinkLossy") this.log.warn({ event: n.type, ...n.body }, n.cause);
      else this.log.info({ event: n.type, ...n.body }, n.cause);
      this.record(n.type, n.body, n.cause);
    }
  }

  private reportDrops(): void {
    const counts = this.hb.stats().dropped as Record<string, number>;
    const key = JSON.stringify(counts);
    if (key === this.lastDropped || Object.values(counts).every((n) => n === 0)) return;
    this.lastDropped = key;
    this.record("PacketsDropped", { counts }, "heartbeat packets dropped (totals since start)");
  }

  private async ensureStream(replicas: number): Promise<void> {
    // Bounded only by the agent's life: the stream is needed as soon as NATS is reachable.
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await ensureEventStream(this.nc, this.cfg.haCf.cluster, replicas);
        return;
      } catch (e) {
        if (attempt === 1 || attempt % 10 === 0) this.log.warn({ err: (e as Error).message, attempt }, "event stream not ready");
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
      }
    }
  }

  private watchNats(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnect") this.log.info({ nats: s.type, server: (s as { server?: string }).server }, "NATS connection");
      }
    })();
  }
}

export function configSummary(c: ClusterConfig) {
  return {
    nodes: c.haCf.nodes,
    groups: c.groups.map((g) => ({ id: g.id, preferredNode: g.preferredNode, resources: g.resources.map((r) => r.id) })),
    autoFailback: c.haCf.autoFailback,
    keepaliveMs: c.haCf.keepaliveMs,
    deadtimeMs: c.haCf.deadtimeMs,
  };
}

/** `vigil agent`: runs until SIGTERM/SIGINT, then stops cleanly. Resolves with the exit code. */
export async function runAgent(o: AgentOptions): Promise<number> {
  const agent = new Agent(o);
  // Signals are caught from the first moment: a SIGTERM that arrives while the agent is still
  // starting stops it cleanly once it has started (or at once, if it fails to).
  let stopSignal: NodeJS.Signals | null = null;
  let onStop: ((sig: NodeJS.Signals) => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    stopSignal ??= sig;
    onStop?.(sig);
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  let started = false;
  process.on("SIGHUP", () => void (started && agent.reload()));
  let errors: string[] | null;
  try {
    errors = await agent.start();
  } catch (e) {
    agent.log.fatal({ err: (e as Error).message }, "agent failed to start");
    process.stderr.write(`vigil agent: ${(e as Error).message}\n`);
    return 1;
  }
  if (errors) {
    for (const line of errors) process.stderr.write(line + "\n");
    return 2;
  }
  started = true;
  return new Promise<number>((resolve) => {
    onStop = (sig) => void agent.stop(`received ${sig}`).then(() => resolve(0));
    if (stopSignal) onStop(stopSignal);
  });
}
