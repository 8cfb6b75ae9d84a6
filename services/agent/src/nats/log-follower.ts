// Keeps this node's fold of the log current: reads from where the fold stands and follows. A
// watchdog (on a timer, and after every NATS reconnect) compares the fold with the stream itself
// (log-health.ts): a reader that stopped while the stream grew is restarted from lastSeq + 1, logged
// and counted; a stream that is gone or was recreated is reported as lost (the agent rebuilds it).
// Each newly applied event is handed to `onEvent`.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import { readEvents } from "@vigil/log-client/event-reader";
import { eventStreamInfo, manager } from "@vigil/log-client/event-stream";
import { FollowedFold } from "./followed-fold.js";
import { CHECK_AFTER_RECONNECT_MS, CHECK_EVERY_MS, LogWatchdog } from "./log-health.js";

export interface FollowerOptions {
  /** How often the watchdog looks at the stream. */
  checkEveryMs?: number;
  /** How long after a reconnect it looks (the reader has had time to resume by then). */
  checkAfterReconnectMs?: number;
  /** Creation time of the stream `view` is a fold of (from its snapshot); null: not known yet. */
  streamCreated?: string | null;
  /** The stream the fold came from is gone; called once per loss, until `refold`. */
  onLost?: (why: string) => void;
  /** A refold was swapped in as the fold. */
  onRefolded?: () => void;
}

export class LogFollower {
  private running = true;
  private done: Promise<void> | null = null;
  private abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  /** Requests the reader completed (fetches, consumers made, retries): a reader that works is not
   *  hung, even when the log is not answering it yet (an election); restarting it would only throw
   *  its work away (under load, every restart came before its consumer was made). */
  private activity = 0;
  private readonly watchdog = new LogWatchdog();
  private readonly fold: FollowedFold;
  /** Times the watchdog restarted a stalled reader (also in each restart's log line). */
  restarts = 0;
  /** Resolves once the fold has caught up with the log as it stood when following began. */
  readonly caughtUp: Promise<void>;
  private markCaughtUp!: () => void;

  constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly view: ClusterView,
    private readonly log: Logger,
    private readonly onEvent: (e: VigilEvent) => void,
    private readonly o: FollowerOptions = {},
  ) {
    this.caughtUp = new Promise((r) => (this.markCaughtUp = r));
    this.fold = new FollowedFold(cluster, view, o.streamCreated ?? null);
  }

  start(): void {
    this.done = this.run();
    this.timer = setInterval(() => void this.check(), this.o.checkEveryMs ?? CHECK_EVERY_MS);
    this.timer.unref();
    void this.watchReconnects();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.abort.abort();
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 1_000))]);
  }

  /** Creation time of the stream the live fold belongs to; null while a refold is under way. */
  get streamCreated(): string | null {
    return this.fold.streamCreated;
  }

  /** The fold being built: the live one, or the fresh one of a refold. */
  private get target(): ClusterView {
    return this.fold.target;
  }

  /**
   * Folds the (new) stream `created` from its start into a fresh view, while the live fold stays in
   * force; the fresh one replaces it in place once it has applied an event `until` accepts.
   */
  refold(created: string, until: (e: VigilEvent) => boolean): void {
    this.fold.refold(created, until);
    this.watchdog.reset();
    this.restartReader();
  }

  private restartReader(): void {
    this.abort.abort();
    this.abort = new AbortController();
  }

  private apply(seq: number, e: VigilEvent): void {
    const a = this.fold.apply(seq, e);
    if (a.live) this.onEvent(e);
    if (!a.refolded) return;
    this.log.info({ lastSeq: this.view.lastSeq }, "the rebuilt log's fold replaces the lost one");
    this.o.onRefolded?.();
  }

  // An aborted reader still yields what its fetch had buffered (the client's stop() queues behind
  // the messages). Those events are dropped, never applied: after a refold they would go into the
  // fresh view at the old reader's seqs, and the new reader, started from that view's lastSeq + 1,
  // would never read the fresh view's #1.. up to them (the agent's fold skipped them for good).
  private async run(): Promise<void> {
    for (let attempt = 0; this.running; attempt++) {
      const signal = this.abort.signal;
      const onStream = (s: { created: string }) => this.fold.noteStream(s.created);
      const onActivity = () => void this.activity++;
      try {
        // Catch up first (ends at the present end), then follow.
        for await (const { seq, event } of readEvents(this.nc, this.cluster, { follow: false, fromSeq: this.target.lastSeq + 1, signal, onStream, onActivity })) {
          if (signal.aborted) break;
          this.apply(seq, event);
          attempt = 0;
        }
        if (!signal.aborted) this.markCaughtUp();
        for await (const { seq, event } of readEvents(this.nc, this.cluster, { follow: true, fromSeq: this.target.lastSeq + 1, signal, onStream, onActivity })) {
          if (signal.aborted) break;
          this.apply(seq, event);
          attempt = 0;
        }
      } catch (e) {
        if (!this.running || this.nc.isClosed()) return;
        if (attempt % 10 === 0) this.log.warn({ err: (e as Error).message }, "following the event log failed; retrying");
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * (attempt + 1))));
      }
    }
  }

  private async watchReconnects(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (!this.running) return;
      if (s.type !== "reconnect") continue;
      const before = this.target.lastSeq;
      setTimeout(() => void this.check(before), this.o.checkAfterReconnectMs ?? CHECK_AFTER_RECONNECT_MS).unref();
    }
  }

  /** The watchdog: one look at the stream, compared with the fold (against `before`, or the last look). */
  private async check(before?: number): Promise<void> {
    if (!this.running || this.checking || this.nc.isClosed()) return;
    this.checking = true;
    try {
      // The fold's seq before asking: events folded while the answer travels would make the stream
      // look shorter than the fold (a false "lost", and a needless rebuild).
      const foldSeq = this.target.lastSeq;
      const info = await eventStreamInfo(await manager(this.nc, 2_000), this.cluster);
      const action = this.watchdog.look({
        stream: info ? { created: info.created, lastSeq: info.state.last_seq, leaderless: info.cluster !== undefined && !info.cluster.leader } : null,
        followedCreated: this.fold.followedCreated,
        foldSeq,
        activity: this.activity,
        ...(before !== undefined ? { before } : {}),
      });
      if (action.kind === "restart") {
        this.restarts++;
        this.log.warn(
          { restarts: this.restarts, foldSeq, streamLastSeq: info?.state.last_seq, behind: action.behind },
          `the event log reader made no progress while ${action.behind} events wait; restarting it from #${foldSeq + 1}`,
        );
        this.restartReader();
      } else if (action.kind === "lost") {
        this.log.warn({ foldSeq, why: action.why }, "the event log this node followed is lost");
        this.o.onLost?.(action.why);
      }
    } catch {
      // NATS away or electing: nothing to judge; the next look will tell.
    } finally {
      this.checking = false;
    }
  }
}
