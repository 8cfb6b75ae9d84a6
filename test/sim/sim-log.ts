// The simulated event log: a JetStream stream on the simulator's clock, and each agent's side of it
// (outbox, publisher, follower, watchdog, rebuild) hosting the production parts. Time is an input;
// nothing here draws randomness: the caller's seeded schedule says when faults happen and how long.
//
// SimLog — the stream, as one cluster's agents and CLI meet it:
//   new SimLog({ cluster, ackMs?, deliveryMs?, duplicateWindowMs?, onStore? })
//                              onStore(at): an event was stored and reaches readers at `at`: poll every
//                              agent (and the CLI) then, since no agent's nextAt can know of it
//   outage(from, to, nodes?)   NATS unreachable in [from, to) for `nodes` (or for everyone, the CLI too):
//                              publishes time out unstored, readers get nothing, the stream survives
//   slowAcks(from, to, ms)     acks of publishes made in [from, to) take `ms`; from PUBLISH_TIMEOUT_MS on
//                              the publisher gives up first although the store kept the event (a lost ack)
//   wipe(now)                  the store is lost: the stream is gone (publishes fail fast, watchdogs see
//                              "lost") until someone ensure()s it
//   ensure(now)                ensureEventStream: a missing stream is made empty, with a new creation
//                              time, seqs from 1 (and an empty duplicate window)
//   publish(from, event, now)  a publish with msgID = event.id → PublishResult: the answer and when it
//                              comes; an id stored within duplicateWindowMs is not stored again, one
//                              stored longer ago is (JetStream forgets it; the fold skips it by id)
//   read(node, fromSeq, now)   what a reader gets now from fromSeq on, in order ([] while unreachable)
//   entries() / lastSeq / created / exists / holds(type)   the current stream; lost() the wiped ones
//
// SimAgentLog — one agent's log machinery (agent.ts, publisher.ts, log-follower.ts, log-restore.ts):
//   new SimAgentLog(log, { node, view, streamCreated, now, restore })  `view` is the agent's fold
//                              (the controller's view object: a refold replaces its contents in place)
//   append(event)              Outbox.append + Publisher.kick (the controller's `append`)
//   poll(now) → AgentLogStep   everything due by `now`: acks and retries (oldest first, one at a time,
//                              publishRetryMs), delivery into the fold, the watchdog's looks (LogWatchdog:
//                              every CHECK_EVERY_MS, and CHECK_AFTER_RECONNECT_MS after a reconnect),
//                              the ensure at start and every 30 s, the rebuild of a lost log
//                              (restoredEvents, FollowedFold.refold). Returns the events newly applied to
//                              the live fold (for controller.onLogEvent; at a refold's swap, those the
//                              live fold lacked), whether a refold was swapped in (controller.tick),
//                              losses seen, and `nextAt`: call poll again then (or on append, or onStore)
//   stall()                    the reader hangs (delivers nothing, completes no request) until the
//                              watchdog restarts it
//   restart(now, view, streamCreated)  the agent restarted from its snapshot: the outbox survives (its
//                              file), the in-flight publish's answer is lost, reader and watchdog start anew
//   pending / outbox() / restarts / rebuilds / live (the live fold) / fold (FollowedFold)
import { DUPLICATE_WINDOW_MS } from "@vigil/log-client/event-stream";
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import type { EventType, VigilEvent } from "@vigil/shared/events/vocabulary";
import { OutboxQueue } from "@vigil/agent/events/outbox";
import { describePublishError, PUBLISH_TIMEOUT_MS, publishRetryMs } from "@vigil/agent/events/publisher";
import { restoredEvents, type RestoreInput } from "@vigil/agent/events/log-restore";
import { FollowedFold } from "@vigil/agent/nats/followed-fold";
import { CHECK_AFTER_RECONNECT_MS, CHECK_EVERY_MS, LogWatchdog } from "@vigil/agent/nats/log-health";

export interface LogEntry {
  seq: number;
  event: VigilEvent;
  storedAt: number;
}

export type PublishResult =
  /** Acknowledged at `at` with the seq the stream holds it at (`duplicate`: stored before, not again). */
  | { ok: true; seq: number; duplicate: boolean; at: number }
  /** The client's error at `at`; `stored`: the seq the store kept it at even so (the ack came too late). */
  | { ok: false; why: string; at: number; stored: number | null };

export interface SimLogOptions {
  cluster: string;
  /** How long an ack takes outside slowAcks windows. */
  ackMs?: number;
  /** From store to a following reader's fetch. */
  deliveryMs?: number;
  duplicateWindowMs?: number;
  /** Called when an event is stored, with the time it reaches readers: wake every agent then (their
   *  `nextAt` cannot know what others will publish). */
  onStore?: (deliverableAt: number) => void;
}

interface Window {
  from: number;
  to: number;
}

/** The client's text for a publish nobody answered (no stream takes the subject). */
const NO_RESPONDERS = "no responders";

export class SimLog {
  readonly cluster: string;
  private readonly ackMs: number;
  private readonly deliveryMs: number;
  private readonly windowMs: number;
  private stream: { created: string; createdAt: number; entries: LogEntry[]; ids: Map<string, LogEntry> } | null = null;
  private readonly wiped: Array<{ created: string; wipedAt: number; entries: LogEntry[] }> = [];
  private readonly outages: Array<Window & { nodes: readonly string[] | null }> = [];
  private readonly slow: Array<Window & { ms: number }> = [];
  private lastCreatedAt = -Infinity;
  private readonly onStore: (deliverableAt: number) => void;

  constructor(o: SimLogOptions) {
    this.onStore = o.onStore ?? (() => {});
    this.cluster = o.cluster;
    this.ackMs = o.ackMs ?? 2;
    this.deliveryMs = o.deliveryMs ?? 2;
    this.windowMs = o.duplicateWindowMs ?? DUPLICATE_WINDOW_MS;
  }

  outage(from: number, to: number, nodes?: readonly string[]): void {
    this.outages.push({ from, to, nodes: nodes ?? null });
  }

  slowAcks(from: number, to: number, ms: number): void {
    this.slow.push({ from, to, ms });
  }

  /** Whether `node` (or "cli") reaches NATS at `now`. */
  reachable(node: string, now: number): boolean {
    return !this.outages.some((o) => now >= o.from && now < o.to && (o.nodes === null || o.nodes.includes(node)));
  }

  /** The first instant after `now` at which `node`'s reachability may change (an outage's edge). */
  nextEdge(node: string, now: number): number | null {
    let next: number | null = null;
    for (const o of this.outages) {
      if (o.nodes !== null && !o.nodes.includes(node)) continue;
      for (const t of [o.from, o.to]) if (t > now && (next === null || t < next)) next = t;
    }
    return next;
  }

  wipe(now: number): void {
    if (!this.stream) return;
    this.wiped.push({ created: this.stream.created, wipedAt: now, entries: this.stream.entries });
    this.stream = null;
  }

  /** ensureEventStream: the stream as it is, or made anew (`made`) when missing. */
  ensure(now: number): { created: string; firstSeq: number; made: boolean } {
    let made = false;
    if (!this.stream) {
      // Creation times are the stream's identity: two streams never share one.
      const createdAt = Math.max(now, this.lastCreatedAt + 1);
      this.lastCreatedAt = createdAt;
      this.stream = { created: new Date(createdAt).toISOString(), createdAt, entries: [], ids: new Map() };
      made = true;
    }
    return { created: this.stream.created, firstSeq: this.stream.entries[0]?.seq ?? 1, made };
  }

  /** How long a stored id keeps a re-publish of it from being stored again. */
  get duplicateWindowMs(): number {
    return this.windowMs;
  }

  get exists(): boolean {
    return this.stream !== null;
  }

  get created(): string | null {
    return this.stream?.created ?? null;
  }

  get lastSeq(): number {
    return this.stream?.entries.at(-1)?.seq ?? 0;
  }

  entries(): readonly LogEntry[] {
    return this.stream?.entries ?? [];
  }

  /** The streams wiped so far, oldest first. */
  lost(): ReadonlyArray<{ created: string; wipedAt: number; entries: readonly LogEntry[] }> {
    return this.wiped;
  }

  /** agent.ts logHolds: whether the stream holds an event of `type`. */
  holds(type: EventType): boolean {
    return this.entries().some((e) => e.event.type === type);
  }

  /** `timeoutMs`: the client's (the agent's publisher: PUBLISH_TIMEOUT_MS; the CLI has its own). */
  publish(from: string, event: VigilEvent, now: number, timeoutMs = PUBLISH_TIMEOUT_MS): PublishResult {
    if (!this.reachable(from, now)) return { ok: false, why: "timeout", at: now + timeoutMs, stored: null };
    const s = this.stream;
    if (!s) return { ok: false, why: describePublishError(new Error(NO_RESPONDERS), this.cluster), at: now + this.ackMs, stored: null };
    const ackMs = this.slow.find((w) => now >= w.from && now < w.to)?.ms ?? this.ackMs;
    const seen = s.ids.get(event.id);
    let entry: LogEntry;
    let duplicate = false;
    if (seen && now - seen.storedAt < this.windowMs) {
      entry = seen;
      duplicate = true;
    } else {
      entry = { seq: this.lastSeq + 1, event, storedAt: now };
      s.entries.push(entry);
      s.ids.set(event.id, entry);
      this.onStore(now + this.deliveryMs);
    }
    if (ackMs >= timeoutMs) return { ok: false, why: "timeout", at: now + timeoutMs, stored: entry.seq };
    return { ok: true, seq: entry.seq, duplicate, at: now + ackMs };
  }

  /** What a reader at `now` gets from `fromSeq` on: stored, delivered by now, in seq order. */
  read(node: string, fromSeq: number, now: number): LogEntry[] {
    if (!this.stream || !this.reachable(node, now)) return [];
    const out: LogEntry[] = [];
    // Seqs run from 1 without gaps (nothing is ever purged): the entry at seq s is at index s - 1.
    const all = this.stream.entries;
    for (let i = Math.max(0, fromSeq - 1); i < all.length; i++) {
      const e = all[i]!;
      if (e.storedAt + this.deliveryMs > now) break;
      out.push(e);
    }
    return out;
  }

  /** When the entry at `seq` reaches a reader (null: not stored yet). */
  deliverableAt(seq: number): number | null {
    const e = seq >= 1 ? this.stream?.entries[seq - 1] : undefined;
    return e ? e.storedAt + this.deliveryMs : null;
  }
}

/** What a rebuild needs from the agent that the log cannot know (agent.ts restoreLog's inputs). */
export type RestoreContext = Pick<RestoreInput, "generation" | "config" | "membership" | "nextId">;

export interface AgentLogOptions {
  node: string;
  /** The agent's fold (from its snapshot, or empty); followed in place. */
  view: ClusterView;
  /** The creation time of the stream `view` is a fold of (its snapshot's), or null. */
  streamCreated: string | null;
  now: number;
  restore: () => RestoreContext;
}

export interface AgentLogStep {
  /** Events newly applied to the live fold, in order: hand each to controller.onLogEvent. */
  applied: VigilEvent[];
  /** A rebuilt log's fold replaced the live one (controller.tick). */
  refolded: boolean;
  /** The watchdog's "lost" verdicts (each starts a rebuild). */
  lost: string[];
  /** Readers the watchdog restarted. */
  restarted: number;
  /** Publishes that failed (the publisher retries them), each as the client said, and whether the
   *  store kept the event even so (a lost ack). */
  failed: Array<{ id: string; why: string; stored: number | null }>;
  /** Call poll again at this time (null: nothing is due until something is appended). */
  nextAt: number | null;
}

/** agent.ts checkReplicas: every third 10 s stats tick ensures the stream (and makes a missing one). */
const ENSURE_EVERY_MS = 30_000;
/** A bound on what one poll does at one instant (each pass publishes, reads or looks at most once). */
const MAX_PASSES = 10_000;

export class SimAgentLog {
  readonly node: string;
  private readonly queue = new OutboxQueue();
  private inFlight: { id: string; result: PublishResult } | null = null;
  private failures = 0;
  private retryAt = -Infinity;
  private publisherStarted = false;
  private view!: ClusterView;
  fold!: FollowedFold;
  private watchdog!: LogWatchdog;
  private stalled = false;
  private activity = 0;
  private nextCheck = 0;
  private nextEnsure = 0;
  private reconnectChecks: Array<{ at: number; before: number }> = [];
  private wasReachable = true;
  private restoring: string | null = null;
  restarts = 0;
  rebuilds = 0;

  constructor(
    private readonly log: SimLog,
    private readonly o: AgentLogOptions,
  ) {
    this.node = o.node;
    this.begin(o.now, o.view, o.streamCreated);
  }

  private begin(now: number, view: ClusterView, streamCreated: string | null): void {
    this.view = view;
    this.fold = new FollowedFold(this.log.cluster, view, streamCreated);
    this.watchdog = new LogWatchdog();
    this.stalled = false;
    this.inFlight = null;
    this.failures = 0;
    this.retryAt = now;
    this.publisherStarted = false;
    this.nextCheck = now + CHECK_EVERY_MS;
    this.nextEnsure = now + ENSURE_EVERY_MS;
    this.reconnectChecks = [];
    this.wasReachable = this.log.reachable(this.node, now);
    this.restoring = null;
  }

  /** The agent's live fold (the controller's view). */
  get live(): ClusterView {
    return this.view;
  }

  append(e: VigilEvent): void {
    this.queue.append(e);
  }

  get pending(): number {
    return this.queue.pending;
  }

  outbox(): readonly VigilEvent[] {
    return this.queue.events();
  }

  stall(): void {
    this.stalled = true;
  }

  restart(now: number, view: ClusterView, streamCreated: string | null): void {
    this.begin(now, view, streamCreated);
  }

  poll(now: number): AgentLogStep {
    const step: AgentLogStep = { applied: [], refolded: false, lost: [], restarted: 0, failed: [], nextAt: null };
    const reachable = this.log.reachable(this.node, now);
    if (reachable && !this.wasReachable) this.reconnectChecks.push({ at: now + CHECK_AFTER_RECONNECT_MS, before: this.fold.target.lastSeq });
    this.wasReachable = reachable;
    // agent.start: the publisher starts once the stream is ensured (made if missing).
    if (!this.publisherStarted && reachable) {
      this.log.ensure(now);
      this.publisherStarted = true;
    }
    if (now >= this.nextEnsure) {
      if (reachable && !this.restoring) this.log.ensure(now);
      this.nextEnsure = now + ENSURE_EVERY_MS;
    }
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (!(this.publishStep(now, step) || this.read(now, step) || this.look(now, reachable, step) || this.rebuild(now, reachable))) break;
    }
    step.nextAt = this.nextAt(now);
    return step;
  }

  /** Publisher.run: one publish at a time, the outbox's head; a failure waits publishRetryMs. */
  private publishStep(now: number, step: AgentLogStep): boolean {
    const f = this.inFlight;
    if (f) {
      if (f.result.at > now) return false;
      this.inFlight = null;
      if (f.result.ok) {
        this.queue.ack(f.id);
        this.failures = 0;
        this.retryAt = -Infinity;
      } else {
        step.failed.push({ id: f.id, why: f.result.why, stored: f.result.stored });
        this.failures++;
        this.retryAt = f.result.at + publishRetryMs(this.failures);
      }
      return true;
    }
    const head = this.queue.head();
    if (!this.publisherStarted || !head || this.retryAt > now) return false;
    this.inFlight = { id: head.id, result: this.log.publish(this.node, head, now) };
    return true;
  }

  /** The reader: from the fold's lastSeq + 1, in whatever stream exists now (a recreated one too,
   *  until the watchdog tells: readEvents knows no stream identity). */
  private read(now: number, step: AgentLogStep): boolean {
    if (this.stalled || !this.log.exists || !this.log.reachable(this.node, now)) return false;
    this.fold.noteStream(this.log.created!);
    const got = this.log.read(this.node, this.fold.target.lastSeq + 1, now);
    for (const { seq, event } of got) {
      const a = this.fold.apply(seq, event);
      if (a.live) step.applied.push(event);
      if (a.refolded) step.refolded = true;
      step.applied.push(...a.missed);
    }
    if (got.length > 0) this.activity++;
    return got.length > 0;
  }

  /** LogFollower.check: the watchdog's look at the stream (none while NATS is unreachable). */
  private look(now: number, reachable: boolean, step: AgentLogStep): boolean {
    const due = this.reconnectChecks.find((c) => c.at <= now);
    const periodic = !due && this.nextCheck <= now;
    if (!due && !periodic) return false;
    if (due) this.reconnectChecks = this.reconnectChecks.filter((c) => c !== due);
    else this.nextCheck += CHECK_EVERY_MS;
    if (!reachable) return true;
    // A reader that is not hung completes a fetch at least every expiry.
    if (!this.stalled) this.activity++;
    const action = this.watchdog.look({
      stream: this.log.exists ? { created: this.log.created!, lastSeq: this.log.lastSeq } : null,
      followedCreated: this.fold.followedCreated,
      foldSeq: this.fold.target.lastSeq,
      activity: this.activity,
      ...(due ? { before: due.before } : {}),
    });
    if (action.kind === "restart") {
      this.restarts++;
      step.restarted++;
      this.stalled = false;
    } else if (action.kind === "lost") {
      step.lost.push(action.why);
      this.restoring ??= action.why;
    }
    return true;
  }

  /** agent.ts restoreLog, once NATS answers: make the stream, republish this node's share, refold. */
  private rebuild(now: number, reachable: boolean): boolean {
    const why = this.restoring;
    if (why === null || !reachable) return false;
    const lostStreamCreated = this.fold.streamCreated;
    const ensured = this.log.ensure(now);
    const events = restoredEvents({
      ...this.o.restore(),
      view: this.view,
      self: this.node,
      includeOperatorState: !this.log.holds("OperatorStateRestored"),
      fromSeq: Math.max(1, ensured.firstSeq),
      lostStreamCreated,
      why,
      now,
    });
    const last = events[events.length - 1]!;
    this.fold.refold(ensured.created, (e) => e.id === last.id);
    this.watchdog.reset();
    this.stalled = false; // refold restarts the reader
    for (const e of events) this.queue.append(e);
    this.rebuilds++;
    this.restoring = null;
    return true;
  }

  private nextAt(now: number): number | null {
    const times: number[] = [this.nextCheck, this.nextEnsure, ...this.reconnectChecks.map((c) => c.at)];
    if (this.inFlight) times.push(this.inFlight.result.at);
    else if (this.queue.head()) times.push(Math.max(this.retryAt, now));
    if (!this.stalled) {
      const at = this.log.deliverableAt(this.fold.target.lastSeq + 1);
      if (at !== null && at > now) times.push(at);
    }
    const edge = this.log.nextEdge(this.node, now);
    if (edge !== null) times.push(edge);
    const future = times.filter((t) => t > now);
    return future.length > 0 ? Math.min(...future) : null;
  }
}
