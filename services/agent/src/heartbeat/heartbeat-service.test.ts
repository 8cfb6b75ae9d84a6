// Real UDP on loopback: HeartbeatService instances, each with its worker thread from dist/, on
// per-run unique 127.x.y.z addresses and a per-run port.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthKeys, HaCf } from "@vigil/shared/config/schemas";
import { ensureBuilt, workerUrl } from "./fixtures/ensure-built.js";
import { HeartbeatService, SameNameError, type SameNameAgent, type Transition } from "./heartbeat-service.js";
import { createSocket } from "node:dgram";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { nodeReport, type NodeReport, type WireReport } from "@vigil/shared/heartbeat/node-report";

const rnd = (n: number) => Math.floor(Math.random() * n);
const net = `127.${1 + rnd(250)}.${1 + rnd(250)}`;
const port = 20_000 + ((process.pid * 7 + rnd(10_000)) % 40_000);
const addr = { n1: `${net}.1`, n2: `${net}.2`, n3: `${net}.3` } as const;
type Node = keyof typeof addr;

const auth = (key: string): AuthKeys => ({ active: 1, method: "sha256", key, keys: { "1": { method: "sha256", key } } });

function haCf(self: Node, overrides: Partial<HaCf> = {}): HaCf {
  return {
    cluster: "hbtest",
    keepaliveMs: 40,
    warntimeMs: 150,
    deadtimeMs: 400,
    initdeadMs: 5000,
    udpport: port,
    media: (Object.keys(addr) as Node[]).map((n) => ({ kind: "ucast" as const, dev: "lo", peer: addr[n], port })),
    nodes: ["n1", "n2", "n3"],
    pingNodes: [],
    autoFailback: "on",
    nats: [],
    bind: addr[self],
    allowCrc: false,
    ...overrides,
  };
}

const running: HeartbeatService[] = [];
function service(node: Node, key = "secret", generation = 1, payload?: WireReport | null, timing: Partial<HaCf> = {}): HeartbeatService {
  const s = new HeartbeatService({ node, generation, haCf: haCf(node, timing), authKeys: auth(key), workerUrl, payload, statsIntervalMs: 100 });
  running.push(s);
  return s;
}

/** Resolves with the first transition matching `pred`, or rejects after `ms`. */
function transition(s: HeartbeatService, pred: (t: Transition) => boolean, ms = 5000): Promise<Transition> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off("transition", on);
      reject(new Error("no matching transition within " + ms + " ms"));
    }, ms);
    const on = (t: Transition) => {
      if (!pred(t)) return;
      clearTimeout(timer);
      s.off("transition", on);
      resolve(t);
    };
    s.on("transition", on);
  });
}

describe("heartbeat service over loopback unicast", () => {
  beforeAll(ensureBuilt, 150_000);
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  it("a second agent in a node's name, listening before it announces, hears the running one and is refused; the running one hears its probes", async () => {
    const first = service("n1", "secret", 1, { r: [], b: [] });
    await first.start();
    const heard = new Promise<SameNameAgent>((resolve) => first.once("same-name", ({ other }) => resolve(other)));
    // The second binds where n1's unicast heartbeats arrive (n3's address), as on another host.
    const second = new HeartbeatService({
      node: "n1",
      generation: 2,
      haCf: haCf("n3"),
      authKeys: auth("secret"),
      workerUrl,
      listenFirstMs: 400,
      announceOnStart: false,
    });
    running.push(second);
    const refused = await second.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SameNameError);
    expect((refused as SameNameError).other).toMatchObject({ generation: 1, probing: false, from: `${addr.n1}:${port}` });
    expect((refused as Error).message).toMatch(/another agent already runs as node n1 \(generation 1/);
    expect(await heard).toMatchObject({ generation: 2, probing: true });
  });

  it("two nodes see each other up and exchange payloads", async () => {
    const a = service("n1", "secret", 1, { r: ["a"], b: [] });
    const b = service("n2", "secret", 1, { r: ["b"], b: [] });
    const aSeesB = transition(a, (t) => t.peer === "n2" && t.to === "up");
    const bSeesA = transition(b, (t) => t.peer === "n1" && t.to === "up");
    const payloadAtB = new Promise((r) => b.on("payload", (p) => p.peer === "n1" && r(p.payload)));
    await Promise.all([a.start(), b.start()]);
    const [ta, tb] = await Promise.all([aSeesB, bSeesA]);
    expect(ta).toMatchObject({ from: "init", to: "up", generation: 1 });
    expect(tb).toMatchObject({ from: "init", to: "up", generation: 1 });
    expect(Math.abs(ta.at - Date.now())).toBeLessThan(10_000); // epoch milliseconds
    expect(await payloadAtB).toEqual(nodeReport({ running: ["a"] }));

    const changed = new Promise((r) => b.on("payload", (p) => p.peer === "n1" && r(p.payload)));
    expect(a.setPayload({ r: ["a"], b: [], u: ["n2"] })).toEqual({ ok: true });
    expect(await changed).toEqual(nodeReport({ running: ["a"], vouchesFor: ["n2"] }));
    expect(a.setPayload({ r: ["x".repeat(2000)], b: [] }).ok).toBe(false);

    const s = await a.currentStats();
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.dropped.auth).toBe(0);
  });

  it("a node with a different key is never accepted and is counted as auth", async () => {
    const a = service("n1");
    const b = service("n2");
    const intruder = service("n3", "other-key");
    const seen: Transition[] = [];
    a.on("transition", (t) => seen.push(t));
    const bUp = transition(a, (t) => t.peer === "n2" && t.to === "up");
    await Promise.all([a.start(), b.start(), intruder.start()]);
    await bUp;
    // Wait, bounded, until n1 has dropped several of the intruder's packets.
    let s = await a.currentStats();
    for (let i = 0; i < 50 && s.dropped.auth < 5; i++) {
      await new Promise((r) => a.once("stats", r));
      s = await a.currentStats();
    }
    expect(s.dropped.auth).toBeGreaterThanOrEqual(5);
    expect(seen.filter((t) => t.peer === "n3" && t.to === "up")).toEqual([]);
    expect((await intruder.currentStats()).accepted).toBe(0);
  });

  it("a stopped peer goes late then dead, and returns with a new generation as restarted", async () => {
    const a = service("n1");
    const b = service("n2", "secret", 7);
    const up = transition(a, (t) => t.peer === "n2" && t.to === "up");
    await Promise.all([a.start(), b.start()]);
    await up;
    const late = transition(a, (t) => t.peer === "n2" && t.to === "late");
    const dead = transition(a, (t) => t.peer === "n2" && t.to === "dead");
    await b.stop();
    const [tl, td] = await Promise.all([late, dead]);
    // Late once either direction is older than warntime: its own silence, or (flagged `unvouched`)
    // its last report of hearing n1, which is older than its last packet.
    if (tl.unvouched) expect(tl.silentMs).toBeLessThan(150);
    else expect(tl.silentMs).toBeGreaterThanOrEqual(150);
    expect(td.silentMs).toBeGreaterThanOrEqual(400);
    expect(td.silentMs).toBeLessThan(400 + 1000); // generous: ticks every 10 ms

    const back = transition(a, (t) => t.peer === "n2" && t.to === "up");
    await service("n2", "secret", 8).start();
    expect(await back).toMatchObject({ from: "dead", returned: true, restarted: true, previousGeneration: 7, generation: 8 });
  });

  it("a main thread blocked for longer than deadtime makes no peer late or dead", async () => {
    const timing = { warntimeMs: 400, deadtimeMs: 1000 };
    const a = service("n1", "secret", 1, null, timing);
    const b = service("n2", "secret", 1, null, timing);
    const seen: Transition[] = [];
    for (const s of [a, b]) s.on("transition", (t) => seen.push(t));
    const up = Promise.all([transition(a, (t) => t.to === "up"), transition(b, (t) => t.to === "up")]);
    await Promise.all([a.start(), b.start()]);
    await up;
    const before = await a.currentStats();
    const until = Date.now() + 1500; // a slow resource agent or a long GC pause, on the main thread
    while (Date.now() < until) {
      // busy: no timer or message of the main thread runs now
    }
    const after = await a.currentStats();
    expect(seen.filter((t) => t.to !== "up")).toEqual([]);
    // the worker went on hearing n2 while the main thread was stuck (about 30 keepalives)
    expect(after.accepted - before.accepted).toBeGreaterThan(10);
  });

  it("start rejects naming the medium when a device does not exist", async () => {
    const s = new HeartbeatService({
      node: "n1",
      generation: 1,
      haCf: haCf("n1", { media: [{ kind: "mcast", dev: "nosuchdev0", group: "239.1.2.3", port, ttl: 1, loop: false }] }),
      authKeys: auth("k"),
      workerUrl,
    });
    await expect(s.start()).rejects.toThrow(/mcast nosuchdev0 239\.1\.2\.3.*device nosuchdev0 not found/);
  });

  it("start rejects when the bind address is taken by another agent", async () => {
    await service("n1").start();
    const twin = new HeartbeatService({ node: "n1", generation: 2, haCf: haCf("n1"), authKeys: auth("secret"), workerUrl });
    await expect(twin.start()).rejects.toThrow(/cannot bind .*EADDRINUSE/);
  });

  it("decodes a peer's report where its packet is read: an older agent's bare { r, b } is understood, a malformed one dropped and counted", async () => {
    const a = service("n1");
    const reports: (NodeReport | null)[] = [];
    a.on("payload", (p) => p.peer === "n2" && reports.push(p.payload));
    await a.start();
    // n2 is this test, sending signed packets as an agent would: no envelope (the oldest form), then
    // envelopes carrying a report that is no report (`b` not a list).
    const sock = createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, addr.n2, () => r()));
    const send = (seq: number, payload: unknown) => {
      const e = encodePacket({ node: "n2", cluster: "hbtest", generation: 1, seq, payload }, auth("secret"));
      if (!e.ok) throw new Error(e.reason);
      return new Promise<void>((r, j) => sock.send(e.bytes, port, addr.n1, (err) => (err ? j(err) : r())));
    };
    try {
      const up = transition(a, (t) => t.peer === "n2" && t.to === "up");
      await send(1, { r: ["web"], b: [] });
      await up;
      const before = (await a.currentStats()).dropped.malformed;
      for (let seq = 2; seq <= 4; seq++) await send(seq, { a: { n1: 5 }, p: { r: ["web"], b: "db" } });
      // Bounded wait until the worker has counted all three.
      let s = await a.currentStats();
      for (let i = 0; i < 50 && s.dropped.malformed < before + 3; i++) {
        await new Promise((r) => a.once("stats", r));
        s = await a.currentStats();
      }
      expect(s.dropped.malformed - before).toBe(3);
      expect(reports).toEqual([nodeReport({ running: ["web"] })]);
    } finally {
      sock.close();
    }
  });
});
