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
import { peerTransition, type MembershipState, type PeerTransition } from "./membership/membership-events.js";
import { stepLinkQuality, type LinkQualityState } from "./membership/link-quality.js";
import type { HeartbeatStats } from "./heartbeat/heartbeat-service.js";
import { Outbox } from "./events/outbox.js";
import { Publisher } from "./events/publisher.js";
import { connectNats, parseNatsUrls } from "@vigil/log-client/connection";
import { ensureEventStream, eventStreamInfo, manager, wantedReplicas, type EnsuredStream } from "@vigil/log-client/event-stream";
import { readEvents } from "@vigil/log-client/event-reader";
import { restoredEvents } from "./events/log-restore.js";
import { ensureLocalNats, type LocalNats } from "./nats/local-server.js";
import { acquireStateDirLock, bumpGeneration } from "./state-dir.js";
import { judgeSameName, listenBeforeAnnounceMs } from "./membership/duplicate-node.js";
import type { SameNameAgent } from "./heartbeat/heartbeat-service.js";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { Controller, fenceRunner } from "./cluster/controller.js";
import { fenceAgent, fenceStdinAgent } from "./cluster/fence-agent.js";
import { PingWitness } from "./cluster/ping-witness.js";
import { NatsWitness } from "./cluster/nats-witness.js";
import { TiebreakLease } from "./cluster/tiebreak-lease.js";
import { tiebreakTiming } from "@vigil/shared/placement/tiebreak";
import { buildResources } from "./cluster/resources.js";
import type { AgentOptions as ResourceAgentOptions } from "@vigil/resource-agents/registry";
import { LogFollower } from "./nats/log-follower.js";
import { watchMainThread, type MainThreadWatch } from "./main-thread-watch.js";
import { loadViewSnapshot, saveViewSnapshot, serializeView } from "./events/view-snapshot.js";
import { LOCAL_SOCKET, LocalSocket } from "./local-socket.js";
import { agentLogger } from "./logger.js";
import { AddressLeaseKeeper } from "./lease/address-lease-keeper.js";
import { controllerTickMs, failbackStableMs, leaseTiming, witnessIntervalMs } from "@vigil/shared/config/derived-timing";
import { configLoadedBody, decideReload, REJECTED_CAUSE, reloadedEvent, type ReadConfig } from "./cluster/sighup.js";
import { stepRejections, type Rejection, type RejectionState } from "./heartbeat/peer-rejections.js";
import { dropsNews, type DropsReported } from "./heartbeat/drops-report.js";
import { REJECT_REASON_TEXT } from "@vigil/shared/events/node-alerts";

export const VERSION = "0.1.0";

/** How long a stop waits for the fold to take in the events already in the log. */
const STOP_CATCH_UP_MS = 1_500;
/** The main thread's watch: a 100 ms timer; late by over 500 ms is worth a line in the log. */
const MAIN_WATCH_MS = 100;
const MAIN_STALL_REPORT_MS = 500;

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
  /** Null until NATS first answers (an agent starts without it after initdead). */
  private publisher: Publisher | null = null;
  private nc: NatsConnection | null = null;
  private localNats: LocalNats | null = null;
  private hb!: HeartbeatService;
  private membership!: MembershipState;
  private lastDropped: DropsReported = "";
  /** Peers whose packets are rejected for a bad key: the episodes so far, and the open ones. */
  private rejections: RejectionState = {};
  private openRejections: Rejection[] = [];
  private links: LinkQualityState = {};
  private releaseLock: () => void = () => {};
  /** Generations of other agents in this node's name already recorded (DuplicateNode once each). */
  private sameNameSeen = new Set<number>();
  /** Peers' newcomer generations refused as second agents (`peer/generation`), recorded once each. */
  private peerDuplicatesSeen = new Set<string>();
  private statsTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private view!: ClusterView;
  private follower: LogFollower | null = null;
  private controller!: Controller;
  private tickTimer: NodeJS.Timeout | null = null;
  private snapshotPath = "";
  private savedSeq = 0;
  private ping: PingWitness | null = null;
  private mainWatch: MainThreadWatch | null = null;
  private natsWitness: NatsWitness | null = null;
  /** Two-node `tiebreaker nats`: the lease is the witness (reachability of NATS or a ping node is not). */
  private tiebreak: TiebreakLease | null = null;
  /** The replica shortfall last recorded (StreamUnderReplicated), so it is recorded once. */
  private replicaWarning = "";
  private restoring = false;
  /** Times this agent rebuilt a lost log. */
  logRestores = 0;
  private localSocket: LocalSocket | null = null;
  private natsConnected = true;
  private lease: AddressLeaseKeeper | null = null;
  /** How resources are built (the address lease, Dummy's state dir): at start and on SIGHUP alike. */
  private resourceOptions: ResourceAgentOptions = {};
  /** The configuration last read from disk (SIGHUP compares with it; `cfg` is what runs). */
  private lastRead!: ClusterConfig;

  constructor(private readonly o: AgentOptions) {
    this.node = o.node ?? hostname();
    this.log = agentLogger(this.node);
  }

  /** Returns config errors (already formatted) instead of starting when the config is bad. */
  async start(): Promise<string[] | null> {
    const loaded = await loadConfig(this.o.configDir, { localNode: this.node });
    if (!loaded.ok) return loaded.errors.map(formatConfigError);
    this.cfg = loaded.value;
    for (const w of loaded.warnings) this.log.warn({ warning: formatConfigError(w) }, "configuration warning");
    const { haCf } = this.cfg;
    const stateDir = this.o.stateDir ?? `/var/lib/vigil/${this.node}`;
    // Addresses live on a lease that the lease worker renews: they do not outlive a killed or frozen agent.
    const lease = new AddressLeaseKeeper(leaseTiming(haCf));
    // Dummy state under the agent's own state dir: agents sharing a host never share a resource.
    this.resourceOptions = { addressLease: lease, stateDir: `${stateDir}/dummy` };
    const built = buildResources(this.cfg, this.resourceOptions);
    if (!built.ok) return built.errors;
    // Nothing is recorded (not even in the outbox, which a later start would publish) until this is
    // known to be the node's only agent: one per state dir (the lock), and none heard in its name on
    // the heartbeat media (the listen before announcing), whose sockets must bind first.
    const lock = acquireStateDirLock(stateDir);
    if (!lock.ok) {
      throw new Error(`node ${this.node} already runs from state dir ${stateDir} (pid ${lock.holder.pid}, ${lock.path}); refusing to start a second agent on it`);
    }
    this.releaseLock = lock.release;
    this.lease = lease;
    lease.on("lapsed", ({ gapMs, dropped, failures }) => {
      this.log.warn({ stalledMs: gapMs, dropped }, "this node was stalled past its lease; its addresses were removed and are no longer renewed");
      if (failures.length) this.log.error({ failures }, "after a stall past the lease, some addresses could not be removed");
      this.controller?.tick();
    });
    lease.on("renew-failed", (message) => this.log.warn({ err: message }, "address lease renewal failed"));
    lease.on("error", (err) => {
      this.log.fatal({ err: err.message }, "lease worker failed; stopping the node's groups");
      void this.stop("lease worker failed").then(() => process.exit(1));
    });
    lease.start();
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
    // An absent NATS must not keep this node out of the cluster: it waits for it at most initdead,
    // then starts without the log (events wait in the outbox) and reads the log once NATS answers.
    // With `tiebreaker nats` the lease is NATS itself: the node waits for it.
    const tiebreakNats = haCf.tiebreaker === "nats" && haCf.nodes.length === 2;
    this.log.info({ servers, initdeadMs: haCf.initdeadMs }, tiebreakNats ? "connecting to NATS (tiebreaker nats: the lease needs it)" : "connecting to NATS (for at most initdead)");
    const connecting = connectNats({ servers, name: `vigil-agent-${this.node}`, waitOnFirstConnect: true });
    const nc = tiebreakNats ? await connecting : await within(connecting, haCf.initdeadMs);
    if (nc) this.useNats(nc);
    else this.log.warn({ servers, initdeadMs: haCf.initdeadMs }, "NATS does not answer: starting without the event log (events wait in the outbox; the log is read once NATS answers)");

    this.record("AgentStarted", { generation: this.generation, version: VERSION, pid: process.pid }, "agent started");
    this.lastRead = this.cfg;
    this.record("ConfigLoaded", configLoadedBody(this.cfg), `configuration read from ${this.cfg.dir}`);

    if (tiebreakNats) {
      this.tiebreak = new TiebreakLease({
        nc: nc!,
        cluster: haCf.cluster,
        self: this.node,
        peer: haCf.nodes.find((n) => n !== this.node)!,
        nodes: haCf.nodes,
        generation: this.generation,
        timing: tiebreakTiming(haCf),
        log: this.log,
        won: (token, renewed, cause) => (this.log.info({ event: "TiebreakerWon", token }, cause), this.record("TiebreakerWon", { token, renewed }, cause)),
        lost: (holder, token, cause) => (this.log.warn({ event: "TiebreakerLost", holder, token }, cause), this.record("TiebreakerLost", { holder, token }, cause)),
        onChange: () => this.controller?.tick(),
      });
      this.tiebreak.start();
    }
    this.snapshotPath = `${stateDir}/view.json`;
    const snapshot = nc ? await this.loadSnapshot(nc, haCf.cluster) : null;
    this.view = snapshot?.view ?? emptyView(haCf.cluster);
    this.controller = new Controller({
      cfg: this.cfg,
      self: this.node,
      log: this.log,
      view: this.view,
      resources: built.resources,
      record: (type, body, cause) => this.record(type, body, cause),
      append: (e) => (this.outbox.append(e), this.publisher?.kick()),
      nextId: () => this.nextId(),
      setPayload: (p) => void this.hb.setPayload(p),
      witness: () => this.witness(),
      now: () => Date.now(),
      failbackStableMs: failbackStableMs(haCf),
      lease,
      ...(haCf.fence ? { fence: fenceRunner(fenceAgent(haCf.fence)) } : haCf.fenceAgent ? { fence: fenceRunner(fenceStdinAgent(haCf.fenceAgent)) } : {}),
      ...(this.tiebreak ? { tiebreak: this.tiebreak } : {}),
    });
    this.hb.on("transition", (t: PeerTransition) => this.onPeerTransition(t));
    this.hb.on("payload", ({ peer, payload }) => this.controller.onPeerPayload(peer, payload));
    this.hb.on("stats", (s) => this.onLinkStats(s));
    this.hb.on("stats", (s) => this.onRejections(s));
    this.hb.on("same-name", ({ other, announcedMs }) => this.onSameName(other, announcedMs));
    this.hb.on("peer-duplicate", (d) => this.onPeerDuplicate(d));
    // Without its heartbeat this node cannot know it is still in the cluster: stop everything, leave.
    this.hb.on("error", (err: Error) => {
      this.log.fatal({ err: err.message }, "heartbeat worker failed; stopping the node's groups");
      void this.stop("heartbeat worker failed").then(() => process.exit(1));
    });
    this.hb.announce();
    // Fold what the log already holds (standby, moves, failcounts) before deciding anything, but do not
    // wait for an absent log longer than initdead: decisions must not depend on NATS being up.
    if (nc) {
      const follower = this.follow(nc, snapshot?.created ?? null);
      this.log.info({ initdeadMs: haCf.initdeadMs }, "reading the event log before deciding (for at most initdead)");
      const caughtUp = (await within(follower.caughtUp.then(() => true), haCf.initdeadMs)) ?? false;
      if (!caughtUp) this.log.warn({ initdeadMs: haCf.initdeadMs, server: nc.getServer() }, "the event log did not answer within initdead: deciding without it (standby, moves and failcounts from the log wait for it)");
      this.watchWitness(nc);
    } else {
      void connecting.then(
        (late) => {
          if (this.stopping) return void late.close().catch(() => {});
          this.log.info({ server: late.getServer() }, "NATS answers: publishing the outbox and reading the event log");
          this.useNats(late);
          this.follow(late, null);
          this.watchWitness(late);
        },
        () => {},
      );
    }
    if (haCf.pingNodes.length > 0 && !this.tiebreak) {
      this.ping = new PingWitness({ nodes: haCf.pingNodes, intervalMs: witnessIntervalMs(haCf), leaseMs: haCf.warntimeMs });
      this.ping.start((answering) => {
        this.log.info({ pingNodes: haCf.pingNodes, answering }, answering ? "a ping node answers" : "no ping node answers");
        this.controller.tick();
      });
    }
    this.controller.start();
    this.mainWatch = watchMainThread({
      everyMs: MAIN_WATCH_MS,
      reportOverMs: MAIN_STALL_REPORT_MS,
      onStall: (lateMs) =>
        this.log.warn({ lateMs, stalls: this.mainWatch?.stalls }, `the agent's main thread did not run for ${lateMs} ms: decisions and the log fold waited that long`),
    });
    // What this node knows, for `vigil status` while the log cannot be read.
    this.localSocket = new LocalSocket(`${stateDir}/${LOCAL_SOCKET}`, () => this.localReport(), this.log);
    await this.localSocket.start();
    // Everything that changes membership or groups wakes the controller itself; this timer only
    // catches time passing (initdead, the failback stability delay, the rejoin wait).
    this.tickTimer = setInterval(() => this.controller.tick(), controllerTickMs(haCf));
    let ticks = 0;
    this.statsTimer = setInterval(() => {
      this.reportDrops();
      this.saveSnapshot();
      // Servers join a JetStream cluster later than agents start: raise the replicas when they do.
      if (++ticks % 3 === 0) void this.checkReplicas();
    }, 10_000);
    this.statsTimer.unref();
    this.log.info({ generation: this.generation, servers, media: haCf.media.length }, "agent running");
    return null;
  }

  /** The publisher (started once the stream is there) and the connection's watch. */
  private useNats(nc: NatsConnection): void {
    this.nc = nc;
    const publisher = (this.publisher = new Publisher(nc, { cluster: this.cfg.haCf.cluster, outbox: this.outbox, log: this.log }));
    // Publishing before the stream exists only fails ("no responders"): start once it is there.
    void this.ensureStream().then((ok) => ok && publisher.start());
    this.watchNats(nc);
  }

  /** Follows the log into the controller's view (from its snapshot's stream, if any). */
  private follow(nc: NatsConnection, streamCreated: string | null): LogFollower {
    const follower = (this.follower = new LogFollower(nc, this.cfg.haCf.cluster, this.view, this.log, (e) => this.controller.onLogEvent(e), {
      streamCreated,
      onLost: (why) => void this.restoreLog(why),
      onRefolded: () => this.controller.tick(),
    }));
    follower.start();
    return follower;
  }

  /** Witnesses only matter in two-node clusters; the lease for them is warntime, like the peers'. */
  private watchWitness(nc: NatsConnection): void {
    const haCf = this.cfg.haCf;
    if (haCf.nodes.length !== 2 || this.tiebreak) return;
    this.natsWitness = new NatsWitness(nc, haCf.warntimeMs, witnessIntervalMs(haCf));
    this.natsWitness.start((reachable) => {
      this.log.info({ reachable }, reachable ? "NATS witness reachable" : "NATS witness unreachable");
      this.controller.tick();
    });
  }

  /** SIGTERM: leave the cluster cleanly, publish what is pending (bounded), exit 0. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, "agent stopping");
      this.record("AgentStopping", { reason }, reason);
      if (this.statsTimer) clearInterval(this.statsTimer);
      if (this.tickTimer) clearInterval(this.tickTimer);
      this.mainWatch?.stop();
      this.ping?.stop();
      this.natsWitness?.stop();
      this.tiebreak?.stop();
      await this.controller?.stopAll(60_000);
      await this.lease?.stop();
      await this.hb?.stop();
      // The saved fold includes what was in flight: a reader that stays behind is reported.
      const caught = await this.follower?.catchUp(STOP_CATCH_UP_MS);
      if (caught && caught.behind > 0)
        this.log.warn(
          { foldSeq: this.view.lastSeq, ...caught },
          `the fold is ${caught.behind} events behind the log at stop (no event applied for ${caught.sinceEventMs} ms); they are read at the next start`,
        );
      await this.follower?.stop();
      await this.localSocket?.stop();
      this.saveSnapshot();
      this.record("AgentStopped", {}, reason);
      const left = this.publisher ? await this.publisher.drain(5_000) : this.outbox.pending;
      if (left > 0) this.log.warn({ pending: left }, "events still in the outbox; they are published at next start");
      await this.publisher?.stop();
      this.outbox.close();
      await this.nc?.close().catch(() => {});
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
    this.publisher?.kick();
    return e;
  }

  /** SIGHUP: read the configuration again. A bad one is refused and the last good one stays in force. */
  async reload(): Promise<void> {
    const loaded = await loadConfig(this.o.configDir, { localNode: this.node });
    const read: ReadConfig = loaded.ok ? loaded : { ok: false, errors: loaded.errors.map(formatConfigError) };
    const d = decideReload(read, this.lastRead, this.cfg, this.controller.groupsActiveHere());
    if (d.kind === "unchanged") return void this.log.info("configuration unchanged");
    if (d.kind === "rejected") return this.rejectConfig(d.errors);
    const built = buildResources(d.build, this.resourceOptions);
    if (!built.ok) return this.rejectConfig(built.errors);
    const { plan, next } = d;
    this.lastRead = next;
    this.cfg = plan.effective;
    const applying = this.controller.reconfigure(plan.effective, built.resources, plan);
    for (const p of plan.pending) this.log.warn(p);
    if (plan.changes.length > 0) this.log.info({ changes: plan.changes }, "configuration reloaded");
    const e = reloadedEvent(plan, next.dir);
    this.record("ConfigLoaded", e.body, e.cause);
    await applying;
  }

  private rejectConfig(errors: string[]): void {
    for (const line of errors) this.log.error(line);
    this.record("ConfigRejected", { errors }, REJECTED_CAUSE);
  }

  /** Two-node clusters: the NATS cluster reachable, or a `ping` node answering; with `tiebreaker nats`,
   *  the lease held (or its first request pending) instead. */
  private witness(): boolean {
    if (this.tiebreak) return this.tiebreak.witness();
    return (this.natsWitness?.reachable() ?? false) || (this.ping?.answering() ?? false);
  }

  /** The fold as it stood when this node last saved it, if the stream can continue it; read only
   *  when NATS answers quickly (decisions never wait for it). */
  private async loadSnapshot(nc: NatsConnection, cluster: string): Promise<{ view: ClusterView; created: string } | null> {
    try {
      const info = await eventStreamInfo(await manager(nc, 1_000), cluster);
      if (!info) return null;
      const v = loadViewSnapshot(this.snapshotPath, cluster, { created: info.created, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq });
      if (v) this.log.info({ lastSeq: v.lastSeq, streamCreated: info.created }, "fold restored from the local snapshot; reading the tail");
      else this.log.info({ streamCreated: info.created }, "no local snapshot of this stream; folding the whole log");
      return v ? { view: v, created: info.created } : null;
    } catch {
      return null;
    }
  }

  private saveSnapshot(): void {
    // A snapshot names the stream it is a fold of; while a refold is under way there is none.
    const created = this.follower?.streamCreated;
    if (!this.view || !created || this.view.lastSeq === this.savedSeq) return;
    try {
      saveViewSnapshot(this.snapshotPath, this.view, created);
      this.savedSeq = this.view.lastSeq;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "cannot save the fold's snapshot");
    }
  }

  private localReport() {
    return {
      node: this.node,
      generation: this.generation,
      time: new Date().toISOString(),
      view: JSON.parse(serializeView(this.view, this.follower?.streamCreated ?? "")),
      live: this.controller.liveView(),
      nats: { connected: this.natsConnected && !!this.nc && !this.nc.isClosed() },
      ...(this.tiebreak ? { tiebreak: this.tiebreak.info() } : {}),
    };
  }

  private nextId(): string {
    return `${this.node}.${this.generation}.${++this.counter}`;
  }

  private onPeerTransition(t: PeerTransition): void {
    const { state, events, changed } = peerTransition(this.membership, t, this.controller, { id: () => this.nextId(), node: this.node });
    this.membership = state;
    for (const e of events) {
      this.outbox.append(e);
      this.log.info({ event: e.type, peer: t.peer, silentMs: t.silentMs }, e.cause);
    }
    if (changed) this.record("MembershipChanged", { members: changed.members, quorum: changed.quorum }, changed.cause);
    this.publisher?.kick();
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

  /** Two agents heard in a peer's name (peer-twins.ts): the worker already drops the newcomer's
   *  packets and answers its probes TAKEN; record it once per newcomer generation. */
  private onPeerDuplicate(d: { peer: string; generation: number; keptGeneration: number; from: string }): void {
    const key = `${d.peer}/${d.generation}`;
    if (this.peerDuplicatesSeen.has(key) || this.stopping) return;
    this.peerDuplicatesSeen.add(key);
    const cause = `a second agent runs as ${d.peer} (generation ${d.generation}, from ${d.from}) while generation ${d.keptGeneration} still speaks; its packets are ignored`;
    this.log.error({ event: "DuplicateNode", node: d.peer, otherGeneration: d.generation, keptGeneration: d.keptGeneration, from: d.from }, cause);
    this.record("DuplicateNode", { otherGeneration: d.generation, from: d.from, refused: "other", peer: d.peer, keptGeneration: d.keptGeneration }, cause);
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

  /** A configured peer's packets rejected for a bad key: one PeerRejected per peer, reason and episode. */
  private onRejections(s: HeartbeatStats): void {
    const r = stepRejections(this.rejections, s.rejected ?? {}, new Set(Object.keys(s.links)));
    this.rejections = r.state;
    this.openRejections = r.open;
    for (const x of r.raised) {
      const cause = `${x.count} heartbeat packets from ${x.peer} rejected: ${REJECT_REASON_TEXT[x.reason]} (do the nodes' authkeys differ?)`;
      this.log.error({ event: "PeerRejected", peer: x.peer, reason: x.reason, count: x.count }, cause);
      this.record("PeerRejected", { peer: x.peer, reason: x.reason, count: x.count }, cause);
    }
    for (const x of r.healed) this.log.info({ peer: x.peer, reason: x.reason, count: x.count }, `${x.peer}'s packets are accepted again (${x.count} rejected: ${REJECT_REASON_TEXT[x.reason]})`);
  }

  private reportDrops(): void {
    const counts = this.hb.stats().dropped as Record<string, number>;
    const rejected = this.openRejections;
    const key = dropsNews(counts, rejected, this.lastDropped);
    if (key === null) return;
    this.lastDropped = key;
    this.record("PacketsDropped", { counts, rejected }, "heartbeat packets dropped (totals since start; rejected: peers whose key is wrong now)");
  }

  /** Times the log follower's watchdog restarted a stalled reader. */
  get followerRestarts(): number {
    return this.follower?.restarts ?? 0;
  }

  /** Makes sure the stream exists, with min(3, JetStream servers) replicas; null once stopping. */
  private async ensureStream(): Promise<EnsuredStream | null> {
    // Bounded only by the agent's life: the stream is needed as soon as NATS is reachable. A server
    // still starting (or electing) answers nothing for a moment: only a lasting failure is worth a warning.
    const nc = this.nc!;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const ensured = await ensureEventStream(nc, this.cfg.haCf.cluster, wantedReplicas(nc));
        if (ensured.created) this.log.info({ stream: ensured.info.config.name, replicas: ensured.info.config.num_replicas }, "event stream created");
        this.noteReplicas(ensured);
        if (attempt > 10) this.log.info({ attempt }, "event stream ready");
        return ensured;
      } catch (e) {
        if (attempt === 10 || attempt % 50 === 0) this.log.warn({ err: (e as Error).message, attempt, server: nc.getServer() }, "event stream not ready (is JetStream up on the NATS servers?)");
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
      }
    }
    return null;
  }

  private async checkReplicas(): Promise<void> {
    const nc = this.nc;
    if (this.stopping || this.restoring || !nc) return;
    try {
      this.noteReplicas(await ensureEventStream(nc, this.cfg.haCf.cluster, wantedReplicas(nc)));
    } catch {
      // NATS away: the next check tries again.
    }
  }

  /** Records a replica shortfall once (StreamUnderReplicated), and its end (StreamReplicasRaised). */
  private noteReplicas(s: EnsuredStream): void {
    const stream = s.info.config.name;
    const u = s.underReplicated;
    const key = u ? `${u.replicas}/${u.wanted}` : "";
    if (key === this.replicaWarning) return;
    if (u) {
      this.log.warn({ stream, replicas: u.replicas, wanted: u.wanted, reason: u.reason }, "the event stream has fewer replicas than the JetStream cluster could give it");
      this.record("StreamUnderReplicated", { stream, ...u }, `the server refused ${u.wanted} replicas: ${u.reason}`);
    } else {
      this.record("StreamReplicasRaised", { stream, replicas: s.info.config.num_replicas }, "the event stream has the replicas it should");
    }
    this.replicaWarning = key;
  }

  /**
   * The log this node followed is gone (a NATS store lost, the stream deleted or made again): make
   * the stream again and republish what this node knows (log-restore.ts). The fold of the lost log
   * stays in force until the new log's fold has this node's share in it.
   */
  private async restoreLog(why: string): Promise<void> {
    const follower = this.follower;
    if (this.restoring || this.stopping || !follower) return;
    this.restoring = true;
    try {
      const lostStreamCreated = follower.streamCreated;
      this.log.warn({ why, lostThrough: this.view.lastSeq, pending: this.outbox.pending }, "the event log was lost; rebuilding it from what this node knows");
      const ensured = await this.ensureStream();
      if (!ensured) return;
      const cluster = this.cfg.haCf.cluster;
      const events = restoredEvents({
        view: this.view,
        self: this.node,
        generation: this.generation,
        config: configLoadedBody(this.cfg),
        membership: (({ members, has, reason }) => ({ members, quorum: has, reason }))(this.controller.liveView().quorum),
        includeOperatorState: !(await this.logHolds("OperatorStateRestored")),
        fromSeq: Math.max(1, ensured.info.state.first_seq),
        lostStreamCreated,
        why,
        nextId: () => this.nextId(),
        now: Date.now(),
      });
      const last = events[events.length - 1]!;
      follower.refold(ensured.info.created, (e) => e.id === last.id);
      for (const e of events) this.outbox.append(e);
      this.publisher?.kick();
      this.logRestores++;
      this.log.warn({ restores: this.logRestores, events: events.length, stream: streamName(cluster), streamCreated: ensured.info.created }, "republished this node's share of the lost log");
    } finally {
      this.restoring = false;
    }
  }

  /** Whether the current log already holds an event of `type` (a bounded read; false if it cannot tell). */
  private async logHolds(type: string): Promise<boolean> {
    try {
      for await (const _ of readEvents(this.nc!, this.cfg.haCf.cluster, { follow: false, type, timeoutMs: 3_000 })) return true;
    } catch {
      /* cannot tell: republishing one more copy of the same state is the safe side */
    }
    return false;
  }

  private watchNats(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect" || s.type === "reconnect") this.natsConnected = s.type === "reconnect";
        if (s.type === "disconnect" || s.type === "reconnect") this.log.info({ nats: s.type, server: (s as { server?: string }).server }, "NATS connection");
      }
    })();
  }
}

/** What `p` resolves to, or null if it has not within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), ms))]);
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
  // A SIGHUP while starting (initdead can be 30 s) is not lost: the files are read again once started.
  let started = false;
  let hupWhileStarting = false;
  process.on("SIGHUP", () => {
    if (started) void agent.reload();
    else hupWhileStarting = true;
  });
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
  if (hupWhileStarting) {
    agent.log.info("SIGHUP came while starting: reading the configuration again");
    void agent.reload();
  }
  return new Promise<number>((resolve) => {
    onStop = (sig) => void agent.stop(`received ${sig}`).then(() => resolve(0));
    if (stopSignal) onStop(stopSignal);
  });
}
