// Real multicast and broadcast between two network namespaces this test creates (a veth pair,
// TEST-NET-2 addresses, a 239/8 group); each side runs the built HeartbeatService in a child process
// under `ip netns exec`. Nothing touches the root namespace; everything is removed in afterAll.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthKeys, HaCf, Medium } from "@vigil/shared/config/schemas";
import type { Transition } from "@vigil/shared/heartbeat/failure-detector";
import { ensureBuilt } from "./fixtures/ensure-built.js";
import type { HeartbeatStats } from "./worker-protocol.js";

const isRoot = process.getuid?.() === 0;
const fixture = fileURLToPath(new URL("./fixtures/run-heartbeat.mjs", import.meta.url));

// `vh<pid base36>x<2 random>` plus a one-letter role: at most 11 characters.
const prefix = `vh${process.pid.toString(36)}x${randomBytes(2).readUInt16BE(0).toString(36).slice(-2)}`;
const nsA = `${prefix}a`;
const nsB = `${prefix}b`;
const group = `239.${randomBytes(1)[0]! % 250 + 1}.${randomBytes(1)[0]}.${randomBytes(1)[0]! % 250 + 1}`;
const made: string[] = [];

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr || r.error?.message}`);
}

function createNetwork(): void {
  // Also on an abrupt exit of the test process (afterAll does not run then).
  process.once("exit", () => void removeNetwork());
  for (const ns of [nsA, nsB]) {
    ip("netns", "add", ns);
    made.push(ns);
    ip("-n", ns, "link", "set", "lo", "up");
  }
  // Created inside nsA with its peer moved straight to nsB: the root namespace never sees either end.
  ip("-n", nsA, "link", "add", "hb0", "type", "veth", "peer", "name", "hb0", "netns", nsB);
  ip("-n", nsA, "addr", "add", "198.51.100.1/24", "brd", "+", "dev", "hb0");
  ip("-n", nsB, "addr", "add", "198.51.100.2/24", "brd", "+", "dev", "hb0");
  ip("-n", nsA, "link", "set", "hb0", "up");
  ip("-n", nsB, "link", "set", "hb0", "up");
}

function removeNetwork(): string[] {
  const left: string[] = [];
  for (const ns of made.splice(0).reverse()) {
    const r = spawnSync("ip", ["netns", "del", ns], { encoding: "utf8", timeout: 10_000 });
    if (r.status !== 0) left.push(`${ns}: ${r.stderr}`);
  }
  return left;
}

type Line =
  | { kind: "ready" }
  | { kind: "start-failed"; message: string }
  | { kind: "transition"; t: Transition }
  | { kind: "payload"; peer: string; payload: unknown }
  | { kind: "stats"; s: HeartbeatStats }
  | { kind: "stopped"; s: HeartbeatStats };

/** One HeartbeatService in a namespace, with a way to await what it prints. */
class Peer {
  readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];
  readonly child: ChildProcess;
  constructor(ns: string, opts: object) {
    this.child = spawn("ip", ["netns", "exec", ns, process.execPath, fixture, JSON.stringify({ ...opts, maxMs: 30_000 })], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (l) => {
      this.lines.push(JSON.parse(l) as Line);
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.on("exit", () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }
  /** The first line (from `from` on) matching pred; rejects after `ms` or if the child exits. */
  async next<T extends Line>(pred: (l: Line) => l is T, ms = 8000, from = 0): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null) throw new Error(`peer exited (${this.child.exitCode}) before the expected line; last: ${JSON.stringify(this.lines.slice(-3))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected line not seen within ${ms} ms; last: ${JSON.stringify(this.lines.slice(-3))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }
  async stop(): Promise<HeartbeatStats | undefined> {
    if (this.child.exitCode !== null) return undefined;
    this.child.stdin!.end();
    const l = await this.next((l): l is Extract<Line, { kind: "stopped" }> => l.kind === "stopped", 5000).catch(() => undefined);
    if (this.child.exitCode === null && this.child.pid) this.child.kill("SIGKILL");
    return l?.s;
  }
}

const isReady = (l: Line): l is { kind: "ready" } => l.kind === "ready";
const transitionTo = (peer: string, to: string) => (l: Line): l is { kind: "transition"; t: Transition } =>
  l.kind === "transition" && l.t.peer === peer && l.t.to === to;

const auth: AuthKeys = { active: 1, method: "sha256", key: "lab", keys: { "1": { method: "sha256", key: "lab" } } };
function haCf(media: Medium[]): HaCf {
  return {
    cluster: "nstest",
    keepaliveMs: 50,
    warntimeMs: 150,
    deadtimeMs: 400,
    initdeadMs: 3000,
    udpport: 694,
    media,
    nodes: ["n1", "n2"],
    pingNodes: [],
    autoFailback: "on",
    nats: [],
    allowCrc: false,
  };
}

const peers: Peer[] = [];
function startPair(media: Medium[]): [Peer, Peer] {
  const a = new Peer(nsA, { node: "n1", generation: 1, haCf: haCf(media), authKeys: auth });
  const b = new Peer(nsB, { node: "n2", generation: 1, haCf: haCf(media), authKeys: auth });
  peers.push(a, b);
  return [a, b];
}

describe.skipIf(!isRoot)("heartbeat media between two network namespaces", () => {
  beforeAll(() => {
    ensureBuilt();
    createNetwork();
  }, 150_000);
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.stop()));
  });
  afterAll(async () => {
    await Promise.all(peers.splice(0).map((p) => p.stop()));
    expect(removeNetwork()).toEqual([]);
  });

  it("two nodes hear each other over multicast alone", async () => {
    const [a, b] = startPair([{ kind: "mcast", dev: "hb0", group, port: 694, ttl: 1, loop: false }]);
    await Promise.all([a.next(isReady), b.next(isReady)]);
    const [ta, tb] = await Promise.all([a.next(transitionTo("n2", "up")), b.next(transitionTo("n1", "up"))]);
    expect(ta.t.from).toBe("init");
    expect(tb.t.from).toBe("init");
    const s = await a.stop();
    expect(s!.accepted).toBeGreaterThan(0);
    expect(s!.dropped.self).toBe(0); // loop off: our own multicast does not come back
  });

  it("redundant mcast and bcast links count each packet once; a link cut is dead, then returned", async () => {
    const [a, b] = startPair([
      { kind: "mcast", dev: "hb0", group, port: 694, ttl: 1, loop: true },
      { kind: "bcast", dev: "hb0", port: 694 },
    ]);
    await Promise.all([a.next(isReady), b.next(isReady)]);
    await Promise.all([a.next(transitionTo("n2", "up")), b.next(transitionTo("n1", "up"))]);

    const mark = a.lines.length;
    ip("-n", nsB, "link", "set", "hb0", "down");
    const dead = await a.next(transitionTo("n2", "dead"), 8000, mark);
    expect(dead.t.silentMs).toBeGreaterThanOrEqual(400);
    ip("-n", nsB, "link", "set", "hb0", "up");
    const back = await a.next(transitionTo("n2", "up"), 8000, mark);
    expect(back.t).toMatchObject({ from: "dead", returned: true });

    const [sa, sb] = await Promise.all([a.stop(), b.stop()]);
    expect(sa!.duplicates).toBeGreaterThan(0); // the same packet arrived on both media
    expect(sa!.dropped.self).toBeGreaterThan(0); // loop on: our own packets came back and were ignored
    expect(sa!.dropped.replay + sa!.dropped.auth + sa!.dropped.malformed).toBe(0);
    // n2 kept running through its link going down: its failed sends were counted, nothing crashed.
    expect(sb!.sendErrors).toBeGreaterThan(0);
    expect(sb!.accepted).toBeGreaterThan(0);
  });
});
