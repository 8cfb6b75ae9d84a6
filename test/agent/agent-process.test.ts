// `vigil agent` as a process on loopback (a one-node cluster with unicast heartbeats on 127.0.0.x):
// the command contract for start-up errors, SIGHUP with a bad config, and SIGTERM.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../services/agent/test-support/nats-server.js";
import { LoopbackCluster } from "./loopback-cluster.js";

const clusters: LoopbackCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.destroy()));
});

/** A one-node cluster NAME of n1, not started. */
async function oneNode(name: string, haresources: string): Promise<LoopbackCluster> {
  const c = await LoopbackCluster.create({ cluster: name, nodes: ["n1"], haresources, extra: ["initdead 1", "auto_failback on"] });
  clusters.push(c);
  return c;
}

/** Polls the log (bounded) until an event of `type` appears. */
async function waitForEvent(c: LoopbackCluster, type: string, o: { nats?: string; timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
  return c.until(`a ${type} event in ${c.o.cluster}`, () => c.events(type, o)[0], o.timeoutMs ?? 15_000);
}

describe("vigil agent (process)", () => {
  it("refuses a bad configuration with file:line and exit 2, before touching anything", async () => {
    const c = await oneNode("bad", "n1 Dummy::x\n");
    writeFileSync(join(c.configDir("n1"), "ha.cf"), "keepalive 2\ndeadtime 30\nauto_failbackon\nnode n1\nucast lo 127.0.0.2\n");
    const a = c.start("n1");
    expect(await a.exited).toBe(2);
    expect(a.stderr()).toMatch(/ha\.cf:3: .*auto_failbackon/);
  });

  it("runs its group, keeps its last good config on a bad SIGHUP, and on SIGTERM stops the group and exits 0; commands refuse what it cannot do", async () => {
    const c = await oneNode("good", "n1 group=web Dummy::STATE(web)\n");
    const state = c.dummyState("web", "n1");
    const a = c.start("n1");
    await waitForEvent(c, "GroupStarted");
    expect(existsSync(state)).toBe(true);

    writeFileSync(join(c.configDir("n1"), "ha.cf"), "keepalive 2\nnode n1\nmcast eth0239.0.0.1 694 1 0\n");
    c.signal("n1", "SIGHUP");
    const rejected = await waitForEvent(c, "ConfigRejected");
    expect(JSON.stringify(rejected.errors)).toMatch(/ha\.cf:3: .*ran together/);
    expect(a.child.exitCode).toBeNull();

    const status = c.statusJson();
    expect(status.groups).toEqual([expect.objectContaining({ id: "web", node: "n1", state: "started" })]);

    const r = c.vigil(["resource", "move", "nosuch", "n1"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown group "nosuch"/);
    const n = c.vigil(["node", "standby", "n9"]);
    expect(n.status).not.toBe(0);
    expect(n.stderr).toMatch(/no node "n9" in this cluster \(nodes: n1\)/);

    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(existsSync(state)).toBe(false);
    await waitForEvent(c, "AgentStopped");
    const after = c.statusJson();
    expect(after.nodes).toEqual([expect.objectContaining({ name: "n1", state: "offline" })]);
    expect(after.groups[0]).toMatchObject({ id: "web", node: null, state: "stopped" });

    const gone = c.vigil(["status"], { nats: "nats://127.0.0.1:1" });
    expect(gone.status).not.toBe(0);
    expect(gone.stderr).toMatch(/cannot reach the event log/);
  });

  it("without any NATS given, starts a local nats-server, records there, and stops it on SIGTERM", async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const c = await oneNode("local", "");
    const a = c.start("n1", { nats: false, env: { VIGIL_LOCAL_NATS_PORT: String(port) } });
    const started = await waitForEvent(c, "AgentStarted", { nats: url });
    expect(started).toMatchObject({ node: "n1", type: "AgentStarted" });
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    const gone = c.vigil(["status"], { nats: url });
    expect(gone.status).not.toBe(0);
  });

  it("an agent that starts again folds only the tail of the log, from its local snapshot", async () => {
    const c = await oneNode("snap", "n1 group=web Dummy::STATE(web)\n");
    const first = c.start("n1");
    await waitForEvent(c, "GroupStarted");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(existsSync(join(c.stateDir("n1"), "view.json"))).toBe(true);

    const again = c.start("n1");
    await c.until("the fold restored from the snapshot", () => again.stderr().includes("fold restored from the local snapshot"), 15_000);
    expect(again.stderr()).toMatch(/"lastSeq":\d+.*fold restored from the local snapshot/);
    // Still starting (heartbeat, log catch-up): a SIGTERM now must still end in a clean stop.
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    expect(again.stderr()).toMatch(/agent stopping/);
  });
});
