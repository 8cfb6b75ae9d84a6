// Issue 8, "while NATS is away": `vigil status` prints what the local agent knows (STATE/vigil.sock),
// or the fold it last saved (STATE/view.json), says it is stale and why, and exits 0.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackCluster, type StatusJson } from "./loopback-cluster.js";

let c: LoopbackCluster;
beforeAll(async () => {
  c = await LoopbackCluster.create({ cluster: "natsaway", nodes: ["n1"], haresources: "n1 group=web Dummy::STATE(web)\n" });
  c.start("n1");
});
afterAll(async () => {
  await c?.destroy();
});

describe("status while NATS is away (real agent, real nats-server killed)", () => {
  it("from the agent's socket, then from its saved fold; stale, with the reason; exit 0", { timeout: 120_000 }, async () => {
    await c.until("web started on n1", () => {
      const s = c.statusJson();
      return s.groups[0]?.state === "started" && s.groups[0].node === "n1" && s.quorum.n1?.has === true;
    });
    expect(c.statusJson()).toMatchObject({ stale: false });
    await c.nats.kill();

    const json = c.vigil(["status", "--json", "--state-dir", c.stateDir("n1")]);
    expect(json.status, json.stderr).toBe(0);
    const live = JSON.parse(json.stdout) as StatusJson & { staleReason: string; source: { kind: string } };
    expect(live).toMatchObject({ stale: true, source: { kind: "agent" } });
    expect(live.staleReason).toMatch(/cannot reach the event log/);
    expect(live.groups[0]).toMatchObject({ id: "web", node: "n1", state: "started" });
    expect(live.quorum.n1).toMatchObject({ has: true, members: ["n1"] });
    const text = c.vigil(["status", "--state-dir", c.stateDir("n1")]);
    expect(text.status).toBe(0);
    console.log(`stale status:\n${text.stdout}`);
    expect(text.stdout).toMatch(/^STALE: cannot reach the event log/);
    expect(text.stdout).toMatch(/live view of n1's agent/);

    await c.stop("n1");
    const saved = c.vigil(["status", "--json", "--state-dir", c.stateDir("n1")]);
    expect(saved.status, saved.stderr).toBe(0);
    const snap = JSON.parse(saved.stdout) as StatusJson & { source: { kind: string } };
    expect(snap).toMatchObject({ stale: true, source: { kind: "snapshot" } });
    expect(snap.groups[0]).toMatchObject({ id: "web" });

    const none = c.vigil(["status", "--state-dir", `${c.dir}/nosuch`]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/cannot reach the event log[\s\S]*no vigil\.sock or view\.json/);
  });
});

describe("the local agent's live view while NATS is away (three real agents)", () => {
  let c3: LoopbackCluster;
  afterAll(async () => {
    await c3?.destroy();
  });
  it("shows what the agent knows now, not its fold: a node stopped meanwhile is offline, its group where it moved", { timeout: 150_000 }, async () => {
    c3 = await LoopbackCluster.create({ cluster: "natsaway3", nodes: ["n1", "n2", "n3"], haresources: "n1 group=web Dummy::STATE(web)\nn3 group=cache Dummy::STATE(cache)\n" });
    for (const n of ["n1", "n2", "n3"]) c3.start(n);
    await c3.until("web on n1 and cache on n3", () => {
      const s = c3.statusJson();
      const at = (id: string) => s.groups.find((g) => g.id === id);
      return at("web")?.node === "n1" && at("web")?.state === "started" && at("cache")?.node === "n3" && at("cache")?.state === "started";
    });
    await c3.nats.kill();
    await c3.stop("n3"); // cache moves to n1 or n2 while the log is away
    const live = () => JSON.parse(c3.vigil(["status", "--json", "--state-dir", c3.stateDir("n1")]).stdout) as StatusJson;
    const s = await c3.until("cache started on n1 or n2 in n1's live view", () => {
      const v = live();
      const cache = v.groups.find((g) => g.id === "cache");
      return cache?.state === "started" && cache.node !== "n3" ? v : undefined;
    });
    expect(s.stale).toBe(true);
    expect(s.nodes.find((n) => n.name === "n3")?.state).toBe("offline");
    expect(s.nodes.find((n) => n.name === "n2")?.state).toBe("online");
    expect(s.groups.find((g) => g.id === "web")).toMatchObject({ node: "n1", state: "started" });
  });
});
