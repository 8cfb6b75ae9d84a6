// The outbox + publisher against a real nats-server: events produced while NATS is away are
// published later, once, in order.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { startTestNats, type TestNats } from "../../test-support/nats-server.js";
import { connectNats } from "@vigil/log-client/connection";
import { ensureEventStream } from "@vigil/log-client/event-stream";
import { readEvents } from "@vigil/log-client/event-reader";
import { Outbox } from "./outbox.js";
import { Publisher, publishRetryMs } from "./publisher.js";

let nats: TestNats;
let dir: string;
beforeAll(async () => {
  nats = await startTestNats();
  dir = mkdtempSync(join(tmpdir(), "vigil-pub-"));
});
afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ev = (n: number) => makeEvent("NodeDead", { peer: "n2", silentMs: n }, { id: `n1.7.${n}`, node: "n1", time: Date.now() });

async function readAll(cluster: string) {
  const nc = await connectNats({ servers: [nats.url], name: "reader", waitOnFirstConnect: false });
  const out = [];
  for await (const x of readEvents(nc, cluster, { follow: false })) out.push(x);
  await nc.close();
  return out;
}

describe("publisher", () => {
  it("publishes events made while NATS was down, once each, in order", async () => {
    const cluster = "pubtest";
    const nc = await connectNats({ servers: [nats.url], name: "t", waitOnFirstConnect: true });
    await ensureEventStream(nc, cluster, 1);
    const outbox = Outbox.open(dir);
    const pub = new Publisher(nc, { cluster, outbox, log: pino({ level: "silent" }), retryMaxMs: 200 });
    pub.start();
    outbox.append(ev(1));
    pub.kick();
    expect(await pub.drain(5_000)).toBe(0);

    await nats.kill();
    for (let i = 2; i <= 6; i++) {
      outbox.append(ev(i));
      pub.kick();
    }
    expect(outbox.pending).toBe(5);
    await nats.restart();
    expect(await pub.drain(20_000)).toBe(0);
    await pub.stop();
    outbox.close();
    await nc.close();

    const got = await readAll(cluster);
    expect(got.map((g) => g.event.id)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `n1.7.${i}`));
    expect(got.map((g) => g.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a republished event id is stored once (msgID deduplication)", async () => {
    const cluster = "duptest";
    const nc = await connectNats({ servers: [nats.url], name: "t2", waitOnFirstConnect: true });
    await ensureEventStream(nc, cluster, 1);
    const d2 = mkdtempSync(join(tmpdir(), "vigil-pub2-"));
    try {
      for (let round = 0; round < 2; round++) {
        const outbox = Outbox.open(d2);
        const pub = new Publisher(nc, { cluster, outbox, log: pino({ level: "silent" }) });
        pub.start();
        outbox.append(ev(42)); // same id both rounds: a retry after a lost ack
        pub.kick();
        expect(await pub.drain(5_000)).toBe(0);
        await pub.stop();
        outbox.close();
      }
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
    await nc.close();
    const got = await readAll(cluster);
    expect(got).toHaveLength(1);
  });

  it("reading an empty log ends at once", async () => {
    const nc = await connectNats({ servers: [nats.url], name: "t", waitOnFirstConnect: true });
    await ensureEventStream(nc, "emptytest", 1);
    await nc.close();
    expect(await readAll("emptytest")).toEqual([]);
  });
});

describe("the publisher's retry wait", () => {
  it("doubles from 100 ms and stops at the max", () => {
    expect([1, 2, 3, 4, 5, 20].map((n) => publishRetryMs(n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(publishRetryMs(3, { retryMinMs: 10, retryMaxMs: 50 })).toBe(50);
  });
});
