// A second `vigil agent --node n1` on another address and state dir, with unicast heartbeats: it
// hears nothing of the running n1 (n1 sends only to n2 and n3), so its listen before announcing lets
// it in. On main n2 and n3 took its newer generation for n1's restart and dropped the real n1's
// packets as stale: the real n1 lost quorum, stopped its group and showed OFFLINE. The peers hear
// both, and keep the one that was there first (receive-filter.ts, duplicate-peer rule).
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../services/agent/test-support/nats-server.js";
import { LoopbackCluster } from "./loopback-cluster.js";

let c: LoopbackCluster;

beforeAll(async () => {
  c = await LoopbackCluster.create({ cluster: "duppeer", nodes: ["n1", "n2", "n3"], haresources: "n1 group=web Dummy::STATE(web)\n" });
  for (const n of c.o.nodes) void c.start(n);
});
afterAll(async () => {
  await c?.destroy();
});

describe("two agents named n1 on different addresses", () => {
  it("the peers keep the first: it stays online with its group and quorum, the peers record DuplicateNode; a real restart is still taken", { timeout: 120_000 }, async () => {
    await c.until("web started on n1 with every node online", () => {
      const s = c.statusJson();
      return s.groups[0]?.state === "started" && s.groups[0].node === "n1" && s.nodes.every((n) => n.state === "online");
    });
    const before = Math.max(0, ...c.events().map((e) => e.seq));
    // The duplicate: n1's config with another bind address (127.0.0.4), the same peers.
    const dupCfg = join(c.dir, "cfg-n1-dup");
    cpSync(c.configDir("n1"), dupCfg, { recursive: true });
    const haCf = join(dupCfg, "ha.cf");
    const port = await freePort();
    writeFileSync(haCf, readFileSync(haCf, "utf8").replace(/^bind .*$/m, `bind 127.0.0.4:${port}`));
    // Its own Dummy state, as on another host.
    writeFileSync(join(dupCfg, "haresources"), `n1 group=web Dummy::${c.dummyState("web", "n1-dup")}\n`);
    const dupExit = c.startAs("n1-dup", "n1", dupCfg, join(c.dir, "state-n1-dup")).exited;

    const dup = await c.until("DuplicateNode recorded by a peer for n1", () =>
      c.events().find((e) => e.seq > before && e.type === "DuplicateNode" && e.peer === "n1" && (e.node === "n2" || e.node === "n3")),
    );
    expect(dup).toMatchObject({ refused: "other", from: expect.stringMatching(/^127\.0\.0\.4:/) });
    // n2 and n3 answer its probes: it learns its name is taken and leaves before recording anything.
    const exit = await Promise.race([dupExit, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(exit, c.logTails()).toBe(1);
    expect(c.logTails()).toMatch(/another agent already runs as node n1 \(generation \d+, heartbeats from 127\.0\.0\.[23]:\d+\); refusing to start a second one/);
    expect(c.events().filter((e) => e.seq > before && e.node === "n1").map((e) => e.type)).toEqual([]);
    expect(dup.keptGeneration).not.toBe(dup.otherGeneration);

    // Several deadtimes (600 ms) of both agents running: the real n1 keeps everything.
    await new Promise((r) => setTimeout(r, 5_000));
    const s = c.statusJson();
    expect(s.nodes.find((n) => n.name === "n1")!.state).toBe("online");
    expect(s.groups[0]).toMatchObject({ node: "n1", state: "started" });
    const since = c.events().filter((e) => e.seq > before);
    const bad = since.filter((e) => ((e.type === "NodeRestarted" || e.type === "NodeDead") && e.peer === "n1") || (e.type === "QuorumLost" && e.node === "n1"));
    expect(bad.map((e) => `${e.node} ${e.type}`)).toEqual([]);
    // The real n1 (its QuorumLost would carry its group's stop with it) keeps quorum and its group.
    expect(since.filter((e) => e.type === "GroupStopping" || e.type === "GroupStopped").map((e) => `${e.node} ${e.type}`)).toEqual([]);
    // One DuplicateNode per peer for that generation, not one per packet.
    const dups = since.filter((e) => e.type === "DuplicateNode" && e.peer === "n1");
    expect(dups.length).toBeLessThanOrEqual(2);

    // A real restart is still a restart: stop both, start the real n1 again.
    await c.stop("n1", "SIGKILL");
    const mark = Math.max(0, ...c.events().map((e) => e.seq));
    c.start("n1");
    await c.until("n2 and n3 take n1's restart", () => {
      const ev = c.events().filter((e) => e.seq > mark && e.peer === "n1" && /^Node(Restarted|Up|Returned)$/.test(e.type));
      return ev.some((e) => e.node === "n2") && ev.some((e) => e.node === "n3");
    });
    await c.until("web started on n1 again, every node online", () => {
      const st = c.statusJson();
      return st.groups[0]?.node === "n1" && st.groups[0].state === "started" && st.nodes.every((n) => n.state === "online");
    });
    // The restart is no second agent: nobody reports one for its generation.
    expect(c.events().filter((e) => e.seq > mark && e.type === "DuplicateNode").map((e) => `${e.node} ${String(e.peer)}`)).toEqual([]);
  });
});

// A restart is no second agent, however soon it follows the kill: with keepalive 1 s the peers heard
// n1's old generation well under two keepalives before the restarted agent's first probe. Judged by
// "heard lately" (the first attempt at this rule), the peers answered those probes TAKEN and the
// restarted n1 refused to start; judged by the order of the packets it is taken as n1's restart.
describe("a kill -9 and an immediate restart with a 1 s keepalive", () => {
  let s: LoopbackCluster;
  beforeAll(async () => {
    s = await LoopbackCluster.create({
      cluster: "duprestart",
      nodes: ["n1", "n2", "n3"],
      haresources: "n1 group=web Dummy::STATE(web)\n",
      timing: { keepalive: "1", warntime: "3", deadtime: "5", initdead: "10" },
    });
    for (const n of s.o.nodes) void s.start(n);
  }, 60_000);
  afterAll(async () => {
    await s?.destroy();
  });

  it("is taken by the peers as n1's restart: it starts, gets its group back, and nobody records DuplicateNode", { timeout: 120_000 }, async () => {
    await s.until("web started on n1 with every node online", () => {
      const st = s.statusJson();
      return st.groups[0]?.state === "started" && st.groups[0].node === "n1" && st.nodes.every((n) => n.state === "online");
    }, 60_000);
    await s.stop("n1", "SIGKILL");
    const mark = Math.max(0, ...s.events().map((e) => e.seq));
    const exit = s.start("n1").exited;
    // Its listen (5 keepalives) and more: it must still run (a TAKEN answer made it exit 1).
    const early = await Promise.race([exit, new Promise<"running">((r) => setTimeout(() => r("running"), 8_000))]);
    expect(early, s.logTails()).toBe("running");
    expect(s.logTails()).not.toMatch(/another agent already runs as node n1/);
    await s.until("n2 and n3 take n1's restart", () => {
      const ev = s.events().filter((e) => e.seq > mark && e.peer === "n1" && /^Node(Restarted|Up|Returned)$/.test(e.type));
      return ev.some((e) => e.node === "n2") && ev.some((e) => e.node === "n3");
    }, 30_000);
    await s.until("web started on n1 again, every node online", () => {
      const st = s.statusJson();
      return st.groups[0]?.node === "n1" && st.groups[0].state === "started" && st.nodes.every((n) => n.state === "online");
    }, 60_000);
    expect(s.events().filter((e) => e.seq > mark && e.type === "DuplicateNode").map((e) => `${e.node} ${String(e.peer)}`)).toEqual([]);
  });
});
