// The read path against a real nats-server: reading never creates a stream, and a follower keeps
// following through a server killed and restarted on its store, and notices a store that was lost.
import { rmSync, mkdirSync } from "node:fs";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { eventSubject, makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { UserError } from "@vigil/shared/user-error";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { startTestNats, type TestNats } from "../../test-support/nats-server.js";
import { eventually } from "../../test-support/eventually.js";
import { connectNats } from "@vigil/log-client/connection";
import { ensureEventStream, eventStreamInfo, manager } from "@vigil/log-client/event-stream";
import { readEvents } from "@vigil/log-client/event-reader";
import { LogFollower } from "./log-follower.js";

let nats: TestNats;
const open: NatsConnection[] = [];
beforeEach(async () => {
  nats = await startTestNats();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => {})));
  await nats?.stop();
});

async function conn(name: string): Promise<NatsConnection> {
  const nc = await connectNats({ servers: [nats.url], name, waitOnFirstConnect: true });
  open.push(nc);
  return nc;
}

let n = 0;
const ev = () => makeEvent("NodeDead", { peer: "n2", silentMs: ++n }, { id: `t.1.${n}`, node: "n1", time: Date.now() });

/** Publishes with retries: right after a restart the stream takes a moment to answer. */
async function publish(nc: NatsConnection, cluster: string, e: VigilEvent): Promise<number> {
  const js = jetstream(nc, { timeout: 2_000 });
  let last: unknown;
  for (let i = 0; i < 40; i++) {
    try {
      return (await js.publish(eventSubject(cluster, e), JSON.stringify(e), { msgID: e.id })).seq;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw last;
}

const quiet = pino({ level: "silent" });

describe("reading the log", () => {
  it("never creates the stream: a missing cluster is a one-line error naming the streams there", async () => {
    const nc = await conn("t");
    await ensureEventStream(nc, "real", 1);
    const read = async () => {
      for await (const _ of readEvents(nc, "typo", { follow: false })) void _;
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^no cluster "typo" on nats:\/\/127\.0\.0\.1:\d+ .*streams here: VIGIL_REAL\)$/);
    expect(await eventStreamInfo(await manager(nc), "typo")).toBeNull();
  });
});

describe("the log follower", () => {
  it("keeps following after the server is killed and restarted on its store, without a client that recovers by itself", async () => {
    const nc = await conn("follower");
    const pub = await conn("publisher");
    await ensureEventStream(nc, "f", 1);
    for (let i = 0; i < 3; i++) await publish(pub, "f", ev());
    const view = emptyView("f");
    const f = new LogFollower(nc, "f", view, quiet, () => {}, { checkEveryMs: 1_000, checkAfterReconnectMs: 500 });
    f.start();
    try {
      expect(await eventually(() => view.lastSeq === 3, 5_000, 50)).toBe(true);
      await nats.kill();
      await new Promise((r) => setTimeout(r, 2_500));
      await nats.restart();
      const seq = await publish(pub, "f", ev());
      await publish(pub, "f", ev());
      expect(await eventually(() => view.lastSeq === seq + 1, 15_000, 50), `fold at #${view.lastSeq}, log at #${seq + 1}`).toBe(true);
    } finally {
      await f.stop();
    }
  }, 40_000);

  it("reports the log lost when the server comes back on an empty store", async () => {
    const nc = await conn("follower");
    const pub = await conn("publisher");
    await ensureEventStream(nc, "g", 1);
    for (let i = 0; i < 5; i++) await publish(pub, "g", ev());
    const view = emptyView("g");
    const lost: string[] = [];
    const f = new LogFollower(nc, "g", view, quiet, () => {}, { checkEveryMs: 500, onLost: (why) => lost.push(why) });
    f.start();
    try {
      expect(await eventually(() => view.lastSeq === 5, 5_000, 50)).toBe(true);
      await nats.kill();
      rmSync(nats.storeDir, { recursive: true, force: true });
      mkdirSync(nats.storeDir, { recursive: true });
      await nats.restart();
      expect(await eventually(() => lost.length > 0, 15_000, 50)).toBe(true);
      expect(lost).toEqual(["the stream no longer exists"]);
      // Made again (and longer than the old one): still another stream, told apart by its creation time.
      await ensureEventStream(nc, "g", 1);
      const fresh = new LogFollower(nc, "g", emptyView("g"), quiet, () => {}, { checkEveryMs: 500, streamCreated: "2000-01-01T00:00:00Z", onLost: (why) => lost.push(why) });
      fresh.start();
      expect(await eventually(() => lost.length > 1, 10_000, 50)).toBe(true);
      expect(lost[1]).toMatch(/^the stream was recreated/);
      await fresh.stop();
    } finally {
      await f.stop();
    }
  }, 40_000);

  it("a refold begun mid-batch folds the new log whole: what the aborted reader still yields is not applied", async () => {
    // The old reader's fetch had #21–#60 buffered when the refold began; those must not land in the
    // fresh view (its lastSeq would jump to #60 and the new reader would start past #1–#20).
    const nc = await conn("follower");
    const pub = await conn("publisher");
    await ensureEventStream(nc, "r", 1);
    const events = Array.from({ length: 60 }, ev);
    for (const e of events) await publish(pub, "r", e);
    const created = (await eventStreamInfo(await manager(nc), "r"))!.created;
    const marker = ev();
    const view = emptyView("r");
    let refolded = false;
    let folded = 0;
    const f: LogFollower = new LogFollower(
      nc,
      "r",
      view,
      quiet,
      () => {
        if (++folded === 20) f.refold(created, (e) => e.id === marker.id);
      },
      { checkEveryMs: 60_000, onRefolded: () => (refolded = true) },
    );
    f.start();
    try {
      expect(await eventually(() => folded >= 20, 10_000, 20)).toBe(true);
      await publish(pub, "r", marker);
      expect(await eventually(() => refolded, 15_000, 50)).toBe(true);
      expect(view.lastSeq).toBe(61);
      const fresh = emptyView("r");
      [...events, marker].forEach((e, i) => applyEvent(fresh, e, i + 1));
      expect(view.applied.size, `the refold applied ${view.applied.size} of 61 events`).toBe(61);
      expect([...view.applied].sort()).toEqual([...fresh.applied].sort());
    } finally {
      await f.stop();
    }
  }, 40_000);

  it("a stop takes in what is already in the log; a reader that does not read stays behind, reported, within the bound", async () => {
    const nc = await conn("follower");
    const pub = await conn("publisher");
    await ensureEventStream(nc, "c", 1);
    for (let i = 0; i < 3; i++) await publish(pub, "c", ev());
    const view = emptyView("c");
    const f = new LogFollower(nc, "c", view, quiet, () => {}, { checkEveryMs: 60_000 });
    f.start();
    const idle = new LogFollower(nc, "c", emptyView("c"), quiet, () => {}, { checkEveryMs: 60_000 });
    try {
      expect(await eventually(() => view.lastSeq === 3, 5_000, 50)).toBe(true);
      const js = jetstream(pub);
      const batch = Array.from({ length: 40 }, ev);
      const acks = await Promise.all(batch.map((e) => js.publish(eventSubject("c", e), JSON.stringify(e), { msgID: e.id })));
      const last = Math.max(...acks.map((a) => a.seq));
      // The follower's thread is busy when the stop comes: the deliveries wait in its socket.
      const until = performance.now() + 300;
      while (performance.now() < until);
      const caught = await f.catchUp(5_000);
      expect(caught).toMatchObject({ behind: 0, streamLastSeq: last });
      expect(view.lastSeq).toBe(last);
      const t0 = Date.now();
      const stuck = await idle.catchUp(400);
      expect(stuck).toMatchObject({ behind: last, streamLastSeq: last });
      expect(Date.now() - t0).toBeLessThan(4_000);
    } finally {
      await f.stop();
    }
  }, 40_000);

  it("a refold hands on, at the swap, the events of the new log the live fold never had: a cleanup recorded meanwhile reaches the controller", async () => {
    // Found by the simulated log: during a refold nothing is handed on (the live fold stays in force),
    // and at the swap only tick() ran, so a command recorded in the new log before this node's own
    // LogRestored was folded but never acted on (a cleanup's FailcountCleared never came; --wait hung).
    const nc = await conn("follower");
    const pub = await conn("publisher");
    await ensureEventStream(nc, "h", 1);
    const before = Array.from({ length: 10 }, ev);
    for (const e of before) await publish(pub, "h", e);
    const created = (await eventStreamInfo(await manager(nc), "h"))!.created;
    const view = emptyView("h");
    const handed: string[] = [];
    let refolded = false;
    const f = new LogFollower(nc, "h", view, quiet, (e) => handed.push(e.id), { checkEveryMs: 60_000, onRefolded: () => (refolded = true) });
    f.start();
    try {
      expect(await eventually(() => handed.length === 10, 10_000, 20)).toBe(true);
      const marker = ev();
      f.refold(created, (e) => e.id === marker.id);
      const cleanup = makeEvent("CleanupRequested", { group: "web" }, { id: "cli.cleanup", node: "cli", time: Date.now() });
      await publish(pub, "h", cleanup);
      await publish(pub, "h", marker);
      expect(await eventually(() => refolded, 15_000, 50)).toBe(true);
      // The ten the live fold had are not handed on again; the cleanup and the marker are, in order.
      expect(handed).toEqual([...before.map((e) => e.id), cleanup.id, marker.id]);
    } finally {
      await f.stop();
    }
  }, 40_000);
});
