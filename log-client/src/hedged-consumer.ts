// Makes a reader's ephemeral consumer, hedged against a dead server.
//
// nats-server 2.9 puts an R1 ephemeral consumer of a replicated stream on a peer of the stream picked
// at random, up or not (createGroupForConsumer, then setPreferred): with one of three servers dead,
// one create in three is never answered and the reader loses the request's whole timeout. A create
// that has not answered within `hedgeMs` gets a second one beside it (a new random pick), and so on up
// to `tries`; the first answer wins and a later one is deleted. A refusal (an API error) is final at
// once: another pick would be refused the same way.
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from "@nats-io/jetstream";

export interface HedgeOptions {
  /** How long a create may go unanswered before another is sent beside it. */
  hedgeMs: number;
  /** Creates in flight at most (the first included). */
  tries: number;
}

/** Ten picks a quarter second apart, the last sent 2.25 s in, well inside a request's 5 s: all ten
 *  land on the one dead server of three once in 59,049. (Five half a second apart, once in 243, made
 *  one run in twenty of the 12-read test wait out a whole timeout.) */
export const READER_HEDGE: HedgeOptions = { hedgeMs: 250, tries: 10 };

const isTimeout = (e: unknown) => (e as Error)?.name === "TimeoutError" || /timeout/i.test(String((e as Error)?.message));

export function addConsumerHedged(jsm: JetStreamManager, stream: string, cfg: Partial<ConsumerConfig>, o: HedgeOptions = READER_HEDGE): Promise<ConsumerInfo> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let sent = 0;
    let pending = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const settle = (f: () => void) => {
      settled = true;
      if (timer) clearTimeout(timer);
      f();
    };
    const send = () => {
      sent++;
      pending++;
      jsm.consumers.add(stream, cfg).then(
        (ci) => {
          pending--;
          if (settled) void jsm.consumers.delete(stream, ci.name).catch(() => {});
          else settle(() => resolve(ci));
        },
        (err: unknown) => {
          pending--;
          if (settled) return;
          if (!isTimeout(err) || (pending === 0 && sent >= o.tries)) settle(() => reject(err));
          else if (pending === 0) {
            // Every pick so far timed out before the next hedge was due: send it now.
            if (timer) clearTimeout(timer);
            send();
          }
        },
      );
      if (sent < o.tries) timer = setTimeout(() => !settled && sent < o.tries && send(), o.hedgeMs);
    };
    send();
  });
}
