// Reads the cluster's event log in order with a plain pull loop: an ephemeral consumer (no acks,
// memory only, removed by the server when idle) fetched in bounded batches. No client-side recovery
// is trusted: any error, a consumer lost with a server, or an election ends the loop's attempt, and
// the next attempt makes a new consumer from the sequence after the last one read. Reading never
// creates the stream. Without `follow` it stops at the last event present when it started.
import { AckPolicy, DeliverPolicy, jetstream, type ConsumerConfig, type JsMsg } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { streamName, subjectToken, VigilEvent } from "@vigil/shared/events/vocabulary";
import { UserError } from "@vigil/shared/user-error";
import { eventStreamInfo, manager, noClusterError } from "./event-stream.js";
import { addConsumerHedged } from "./hedged-consumer.js";

export interface ReadOptions {
  fromSeq?: number;
  since?: Date;
  type?: string;
  node?: string;
  follow: boolean;
  /** Called for a message that is not a valid event (it is skipped, never applied). */
  onInvalid?: (seq: number, problem: string) => void;
  /** Without `follow`: how long to keep retrying a log that does not answer (an election, a
   *  restart) before giving up with a one-line error. Following retries for as long as it runs. */
  timeoutMs?: number;
  /** Ends the read (the current fetch is stopped at once). */
  signal?: AbortSignal;
  /** Called before each retry, with what went wrong. */
  onRetry?: (err: Error, attempt: number) => void;
  /** Called whenever a request to the log completes (a fetch ends, a consumer is made): the reader is
   *  working, even when there is nothing to read. */
  onActivity?: () => void;
  /** Called once the stream is found, with its identity (creation time) and last seq then. */
  onStream?: (s: { created: string; lastSeq: number }) => void;
}

export interface LoggedEvent {
  seq: number;
  event: VigilEvent;
}

/** Batches are bounded so a stop or a restart never waits long; 2 s is the fetch's shortest sane expiry. */
const BATCH = 256;
const FETCH_EXPIRES_MS = 2_000;
/** How long a read without `follow` retries a log that does not answer, unless told otherwise. */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

export function eventFilter(cluster: string, o: { type?: string; node?: string }): string {
  return `vigil.${cluster}.ev.${o.type ?? "*"}.${o.node ? subjectToken(o.node) : "*"}`;
}

function consumerConfig(cluster: string, o: ReadOptions, next: number): Partial<ConsumerConfig> {
  const deliver =
    next > 0
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next }
      : o.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: o.since.toISOString() }
        : { deliver_policy: DeliverPolicy.All };
  return {
    ...deliver,
    ack_policy: AckPolicy.None,
    filter_subject: eventFilter(cluster, o),
    inactive_threshold: nanos(30_000),
    mem_storage: true,
    num_replicas: 1,
  };
}

export async function* readEvents(nc: NatsConnection, cluster: string, o: ReadOptions): AsyncGenerator<LoggedEvent> {
  const name = streamName(cluster);
  const timeoutMs = o.timeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  const deadline = o.follow ? Infinity : Date.now() + timeoutMs;
  const stopped = () => o.signal?.aborted === true || nc.isClosed();
  let next = o.fromSeq ?? 0;
  let end: number | null = null;
  // Bounded by the deadline (reads) or by the signal and the connection (following).
  for (let attempt = 1; !stopped(); attempt++) {
    let consumerName: string | null = null;
    const jsm = await manager(nc);
    try {
      if (end === null || o.follow) {
        const info = await eventStreamInfo(jsm, cluster);
        if (!info) throw await noClusterError(nc, jsm, cluster);
        if (end === null) o.onStream?.({ created: info.created, lastSeq: info.state.last_seq });
        end = info.state.last_seq;
      }
      if (!o.follow && (end === 0 || next > end)) return;
      const ci = await addConsumerHedged(jsm, name, consumerConfig(cluster, o, next));
      consumerName = ci.name;
      o.onActivity?.();
      // Nothing matching at or before the end: finish now rather than wait for messages that never come.
      if (!o.follow && ci.num_pending === 0) return;
      const consumer = await jetstream(nc, { timeout: 5_000 }).consumers.get(name, ci.name);
      while (!stopped()) {
        const batch = await consumer.fetch({ max_messages: BATCH, expires: FETCH_EXPIRES_MS });
        const onAbort = () => batch.stop();
        o.signal?.addEventListener("abort", onAbort, { once: true });
        let got = 0;
        try {
          for await (const m of batch) {
            got++;
            if (m.seq < next) continue; // a retry's consumer may repeat what was read
            next = m.seq + 1;
            attempt = 1;
            const ev = decode(m, o.onInvalid);
            if (ev) yield { seq: m.seq, event: ev };
            if (!o.follow && (m.info.pending === 0 || m.seq >= end)) return;
          }
        } finally {
          o.signal?.removeEventListener("abort", onAbort);
        }
        o.onActivity?.();
        // A read that still has events to come got none in a whole fetch: its consumer is gone.
        if (!o.follow && got === 0 && !stopped()) throw new Error(`no events arrived within ${FETCH_EXPIRES_MS} ms`);
        // Following everything, an empty fetch while the stream holds events past `next` means the
        // consumer was lost (its server killed, an election): make a new one now, not at the
        // watchdog's next look.
        if (o.follow && got === 0 && !o.type && !o.node && next > 0 && !stopped()) {
          const info = await eventStreamInfo(jsm, cluster);
          if (info && info.state.last_seq >= next) throw new Error(`the consumer delivered nothing while #${next}–#${info.state.last_seq} wait`);
        }
      }
      return;
    } catch (e) {
      if (e instanceof UserError) throw e;
      if (stopped()) return;
      const err = e as Error;
      if (Date.now() + retryDelay(attempt) >= deadline)
        throw new UserError(`the event log of cluster "${cluster}" on nats://${nc.getServer()} did not answer within ${timeoutMs / 1000} s (${err.message})`);
      o.onRetry?.(err, attempt);
      o.onActivity?.();
      await new Promise((r) => setTimeout(r, retryDelay(attempt)));
    } finally {
      if (consumerName) void jsm.consumers.delete(name, consumerName).catch(() => {});
    }
  }
}

const retryDelay = (attempt: number) => Math.min(1_000, 100 * attempt);

function decode(m: JsMsg, onInvalid?: (seq: number, problem: string) => void): VigilEvent | null {
  try {
    const r = VigilEvent.safeParse(m.json());
    if (r.success) return r.data;
    onInvalid?.(m.seq, r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  } catch (e) {
    onInvalid?.(m.seq, (e as Error).message);
  }
  return null;
}
