// Issue 8, "status tells the truth" after a quorum loss, and the one quorum rule: three real agents on
// loopback; n3 stops (SIGTERM), then n2, which runs `web`, is killed (-9). n1 is left alone without
// quorum: the status must say so, must not show n2 online or `web` started there, and a move must
// be refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackCluster } from "./loopback-cluster.js";

let c: LoopbackCluster;

beforeAll(async () => {
  c = await LoopbackCluster.create({
    cluster: "quorumloss",
    nodes: ["n1", "n2", "n3"],
    haresources: "n2 group=web Dummy::STATE(web)\n",
    extra: ["auto_failback on"],
  });
  for (const n of c.o.nodes) c.start(n);
});
afterAll(async () => {
  await c?.destroy();
});

describe("status after a quorum loss", () => {
  it("shows the survivor's view: n2 not online, web not started on n2, n1 without quorum; a move is refused", { timeout: 120_000 }, async () => {
    await c.until("web started on n2 with every node online", () => {
      const s = c.statusJson();
      return s.groups[0]?.state === "started" && s.groups[0].node === "n2" && s.nodes.every((n) => n.state === "online");
    });
    await c.stop("n3");
    await c.until("n3 offline", () => c.statusJson().nodes.find((n) => n.name === "n3")?.state === "offline");
    await c.stop("n2", "SIGKILL");
    // n1 calls n2 dead after deadtime (600 ms); wait for its NodeDead in the log.
    await c.until("n1's NodeDead for n2", () => c.events().some((e) => e.type === "NodeDead" && e.node === "n1" && e.peer === "n2"));

    const text = c.vigil(["status"]);
    console.log(`status after quorum loss:\n${text.stdout}`);
    const s = c.statusJson();
    expect(s.nodes.find((n) => n.name === "n2")!.state).not.toBe("online");
    expect(s.nodes.find((n) => n.name === "n1")!.state).toBe("online");
    expect(s.groups[0]).not.toMatchObject({ node: "n2", state: "started" });
    expect(Object.keys(s.quorum)).toEqual(["n1"]);
    expect(s.quorum.n1).toMatchObject({ has: false, members: ["n1"] });
    expect(s.groups[0]).toMatchObject({ state: "blocked", unknown: true, node: null, lastNode: "n2" });
    expect(s.lastChange).toMatchObject({ type: expect.any(String), seq: expect.any(Number) });
    expect(text.stdout).toMatch(/n1: partition WITHOUT quorum/);
    expect(text.stdout).not.toMatch(/Online: \[ n1 n2 \]/);
    expect(text.stdout).not.toMatch(/started on n2/);

    // One quorum rule: once n1 recorded QuorumLost, none of its later MembershipChanged claims quorum.
    const ev = c.events();
    // The last one: a node that starts before its peers records a QuorumLost at start-up, and a
    // MembershipChanged with quorum once they come.
    const lost = ev.findLast((e) => e.type === "QuorumLost" && e.node === "n1")!;
    expect(lost).toBeDefined();
    expect(ev.filter((e) => e.type === "MembershipChanged" && e.node === "n1" && e.seq > lost.seq && e.quorum === true)).toEqual([]);

    const move = c.vigil(["resource", "move", "web", "n1"]);
    expect(move.status).toBe(1);
    expect(move.stderr).toMatch(/no quorum/);
  });
});
