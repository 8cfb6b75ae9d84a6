// Drains the outbox into JetStream, oldest first, one at a time so the log keeps the agent's order.
// Each event's id is its msgID: a publish retried after a lost ack is stored once.
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { eventSubject } from "@vigil/shared/events/vocabulary";
import type { Outbox } from "./outbox.js";

export interface PublisherOptions {
  cluster: string;
  outbox: Outbox;
  log: Logger;
  /** Backoff after a failed publish, doubling up to the max. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** How long a publish waits for JetStream's ack before it counts as failed (and is retried). */
export const PUBLISH_TIMEOUT_MS = 3_000;

/** The wait before retrying after the `failures`-th failed publish in a row: doubling from
 *  2 × min up to max. Pure (the simulator's publishers retry by it). */
export function publishRetryMs(failures: number, o: { retryMinMs?: number; retryMaxMs?: number } = {}): number {
  return Math.min(o.retryMaxMs ?? 1_000, (o.retryMinMs ?? 50) * 2 ** Math.min(failures, 10));
}

export class Publisher {
  private js: JetStreamClient;
  private wake: (() => void) | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private failures = 0;
  publishedCount = 0;

  constructor(
    nc: NatsConnection,
    private readonly o: PublisherOptions,
  ) {
    this.js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Call after appending to the outbox. */
  kick(): void {
    this.wake?.();
  }

  /** Waits until the outbox is empty or the deadline passes; returns the number still pending. */
  async drain(timeoutMs: number): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (this.o.outbox.pending > 0 && Date.now() < until) await delay(50);
    return this.o.outbox.pending;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { outbox, log } = this.o;
    while (this.running) {
      const e = outbox.head();
      if (!e) {
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
        continue;
      }
      try {
        const ack = await this.js.publish(eventSubject(this.o.cluster, e), JSON.stringify(e), { msgID: e.id });
        outbox.ack(e.id);
        this.publishedCount++;
        if (this.failures > 0) log.info({ pending: outbox.pending, seq: ack.seq }, "event log reachable again");
        this.failures = 0;
      } catch (err) {
        this.failures++;
        if (this.failures === 1 || this.failures % 20 === 0)
          log.warn({ err: describePublishError(err as Error, this.o.cluster), pending: outbox.pending, tries: this.failures }, "event publish failed; retrying");
        await delay(publishRetryMs(this.failures, this.o));
      }
    }
  }
}

/** The client reports a publish nobody answered as "jetstream is not enabled": on a server with
 *  JetStream, it means no stream takes the subject (missing, lost with a store, or still electing). */
export function describePublishError(err: Error, cluster: string): string {
  if (!/not enabled|no responders/i.test(err.message)) return err.message;
  return `no stream answered for vigil.${cluster}.ev.* (the stream is missing or not up yet)`;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
