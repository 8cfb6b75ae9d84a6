import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestNats, type TestNats } from "../../test-support/nats-server.js";
import { connectNats } from "@vigil/log-client/connection";
import { NatsWitness } from "./nats-witness.js";
import { eventually } from "../../test-support/eventually.js";

let nats: TestNats;
beforeAll(async () => {
  nats = await startTestNats();
});
afterAll(async () => {
  await nats?.stop();
});


describe("NATS witness", () => {
  it("counts only while a round trip succeeded within the lease, long before the client notices a disconnect", async () => {
    const nc = await connectNats({ servers: [nats.url], name: "w", waitOnFirstConnect: false });
    const w = new NatsWitness(nc, 200, 25);
    w.start();
    try {
      expect(await eventually(() => w.reachable(), 2_000)).toBe(true);
      // SIGSTOP would be the link cut; a killed server is the simplest unreachable NATS.
      await nats.kill();
      const t0 = performance.now();
      expect(await eventually(() => !w.reachable(), 2_000)).toBe(true);
      expect(performance.now() - t0).toBeLessThan(1_500); // lease 200 ms; generous bound
      await nats.restart();
      expect(await eventually(() => w.reachable(), 10_000)).toBe(true);
    } finally {
      w.stop();
      await nc.close();
    }
  });
});
