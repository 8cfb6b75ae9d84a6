// A real nats-server holding one cluster's event log with the given events, published through the
// agent's own outbox and publisher (as an agent records them), for tests that read the log.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import { Outbox } from "../src/events/outbox.js";
import { Publisher } from "../src/events/publisher.js";
import { connectNats } from "@vigil/log-client/connection";
import { ensureEventStream } from "@vigil/log-client/event-stream";
import { startTestNats, type TestNats } from "./nats-server.js";

export interface SeededLog {
  nats: TestNats;
  stop(): Promise<void>;
}

export async function seedLog(cluster: string, events: readonly VigilEvent[]): Promise<SeededLog> {
  const nats = await startTestNats();
  const dir = mkdtempSync(join(tmpdir(), `vigil-seed-${cluster}-`));
  try {
    const nc = await connectNats({ servers: [nats.url], name: "seed", waitOnFirstConnect: false });
    await ensureEventStream(nc, cluster, 1);
    const outbox = Outbox.open(dir);
    const pub = new Publisher(nc, { cluster, outbox, log: pino({ level: "silent" }) });
    pub.start();
    for (const e of events) outbox.append(e);
    pub.kick();
    const left = await pub.drain(10_000);
    await pub.stop();
    outbox.close();
    await nc.close();
    if (left !== 0) throw new Error(`${left} of ${events.length} events not published within 10 s`);
  } catch (e) {
    await nats.stop();
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { nats, stop: () => nats.stop() };
}
