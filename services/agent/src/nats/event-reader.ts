// Reads the cluster's event log in order through an ordered consumer (no server-side state to clean
// up). Without `follow` it stops at the last event present when it started.
import { DeliverPolicy, jetstream, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { streamName, subjectToken, VigilEvent } from "@vigil/shared/events/vocabulary";
import { ensureEventStream } from "./event-stream.js";

export interface ReadOptions {
  fromSeq?: number;
  since?: Date;
  type?: string;
  node?: string;
  follow: boolean;
  /** Called for a message that is not a valid event (it is skipped, never applied). */
  onInvalid?: (seq: number, problem: string) => void;
}

export interface LoggedEvent {
  seq: number;
  event: VigilEvent;
}

export function eventFilter(cluster: string, o: { type?: string; node?: string }): string {
  return `vigil.${cluster}.ev.${o.type ?? "*"}.${o.node ? subjectToken(o.node) : "*"}`;
}

export async function* readEvents(nc: NatsConnection, cluster: string, o: ReadOptions): AsyncGenerator<LoggedEvent> {
  const jsm = await ensureEventStream(nc, cluster, 1).catch(() => null);
  const name = streamName(cluster);
  const js = jetstream(nc, { timeout: 5_000 });
  const last = jsm ? (await jsm.streams.info(name)).state.last_seq : 0;
  if (!o.follow && last === 0) return;

  const deliver = o.fromSeq
    ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: o.fromSeq }
    : o.since
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: o.since.toISOString() }
      : { deliver_policy: DeliverPolicy.All };
  const consumer = await js.consumers.get(name, { ...deliver, filter_subjects: eventFilter(cluster, o) });
  if (!o.follow) {
    // Nothing matching at or before the end: finish now rather than wait for messages that never come.
    const info = await consumer.info();
    if (info.num_pending === 0) return;
  }
  const messages = await consumer.consume({ max_messages: 512 });
  try {
    for await (const m of messages) {
      const ev = decode(m, o.onInvalid);
      if (ev) yield { seq: m.seq, event: ev };
      if (!o.follow && (m.info.pending === 0 || m.seq >= last)) break;
    }
  } finally {
    messages.stop();
  }
}

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
