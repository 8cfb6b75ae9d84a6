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
