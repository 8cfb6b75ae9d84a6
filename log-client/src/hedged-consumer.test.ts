// Reading the log of a three-replica stream with one of its three servers dead (kill -9, real
// nats-server processes): nats-server 2.9 puts a reader's R1 consumer on a random peer of the stream,
// dead or not, so without the hedge about one read in three waits out a whole request timeout (5 s)
// and a CLI command given 10 s could fail (seen in CI: `vigil node standby --wait` "did not answer").
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventSubject, makeEvent } from "@vigil/shared/events/vocabulary";
import { startTestNatsCluster, type TestNatsCluster } from "../../services/agent/test-support/nats-cluster.js";
import { connectNats } from "./connection.js";
import { ensureEventStream } from "./event-stream.js";
import { readEvents } from "./event-reader.js";

const CLUSTER = "hedge";
const EVENTS = 20;
const READS = 12;
let nats: TestNatsCluster;
let nc: NatsConnection;

/** Retries a request while the JetStream cluster forms or elects (bounded). */
async function retrying<T>(what: string, f: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 120; i++) {
    try {
      return await f();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${what}: ${(last as Error)?.message}`);
}

beforeAll(async () => {
  nats = await startTestNatsCluster(3);
  nc = await connectNats({ servers: nats.urls, name: "hedge-test", waitOnFirstConnect: true });
  const s = await retrying("the R3 stream", () => ensureEventStream(nc, CLUSTER, 3));
  expect(s.info.config.num_replicas).toBe(3);
  const js = jetstream(nc, { timeout: 2_000 });
  for (let i = 1; i <= EVENTS; i++) {
    const e = makeEvent("NodeDead", { peer: "n2", silentMs: i }, { id: `h.${i}`, node: "n1", time: Date.now() });
    await retrying("a publish", () => js.publish(eventSubject(CLUSTER, e), JSON.stringify(e), { msgID: e.id }));
  }
}, 90_000);

afterAll(async () => {
  await nc?.close().catch(() => {});
  await nats?.stop();
});

describe("a reader's consumer with one of three servers dead", () => {
  it(`every one of ${READS} reads is whole and none waits out a create sent to the dead server`, { timeout: 120_000 }, async () => {
    await nats.kill(2);
    // The stream elects a leader among the two left (when the dead one led it): wait for reads to work.
    await retrying("a read after the kill", async () => {
      for await (const _ of readEvents(nc, CLUSTER, { follow: false, timeoutMs: 3_000 })) void _;
    });
    const took: number[] = [];
    for (let i = 0; i < READS; i++) {
      const t0 = Date.now();
      let got = 0;
      for await (const _ of readEvents(nc, CLUSTER, { follow: false, timeoutMs: 10_000 })) got++;
      took.push(Date.now() - t0);
      expect(got).toBe(EVENTS);
    }
    // A create sent to the dead server costs the request's 5 s; a hedged one answers from a live pick.
    expect(Math.max(...took), `read times (ms): ${took.join(", ")}`).toBeLessThan(4_000);
  });
});
