// `vigil agent` as a process on loopback (a one-node cluster with unicast heartbeats on 127.0.0.x):
// the command contract for start-up errors, SIGHUP with a bad config, and SIGTERM.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestNats, type TestNats } from "../../services/agent/test-support/nats-server.js";

const VIGIL = join(import.meta.dirname, "../../services/cli/bin/vigil.js");
let nats: TestNats;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  nats = await startTestNats();
  dir = mkdtempSync(join(tmpdir(), "vigil-agent-"));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, port: number, haresources: string): Promise<string> {
  const d = join(dir, name);
  spawnSync("mkdir", ["-p", d]);
  writeFileSync(
    join(d, "ha.cf"),
    [`keepalive 100ms`, `warntime 300ms`, `deadtime 600ms`, `initdead 1`, `bind 127.0.0.1:${port}`, `ucast lo 127.0.0.2:${port}`, `node n1`, `auto_failback on`, `cluster ${name}`, ""].join("\n"),
  );
  writeFileSync(join(d, "authkeys"), "auth 1\n1 sha256 test-secret\n");
  chmodSync(join(d, "authkeys"), 0o600);
  writeFileSync(join(d, "haresources"), haresources);
  return d;
}

function vigil(args: string[]) {
  return spawnSync(process.execPath, [VIGIL, ...args], { encoding: "utf8", timeout: 20_000 });
}

function startAgent(cfg: string, name: string, o: { nats?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const natsArgs = o.nats === false ? [] : ["--nats", nats.url];
  const c = spawn(process.execPath, [VIGIL, "agent", "--config", cfg, "--node", "n1", ...natsArgs, "--state-dir", join(dir, `state-${name}`)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, VIGIL_NATS: "", ...o.env },
  });
  children.push(c);
  let stderr = "";
  c.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
  return { c, exited, stderr: () => stderr };
}

/** Polls the log (bounded) until an event of `type` appears. */
async function waitForEvent(cluster: string, type: string, timeoutMs = 15_000, url = nats.url): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = vigil(["log", "--json", "--type", type, "--nats", url, "--cluster", cluster]);
    const line = r.stdout.trim().split("\n").filter(Boolean)[0];
    if (line) return JSON.parse(line);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`no ${type} event in ${cluster} within ${timeoutMs} ms`);
}

describe("vigil agent (process)", () => {
  it("refuses a bad configuration with file:line and exit 2, before touching anything", async () => {
    const cfg = await writeConfig("bad", await freePort(), "n1 Dummy::x\n");
    writeFileSync(join(cfg, "ha.cf"), "keepalive 2\ndeadtime 30\nauto_failbackon\nnode n1\nucast lo 127.0.0.2\n");
    const a = startAgent(cfg, "bad");
    expect(await a.exited).toBe(2);
    expect(a.stderr()).toMatch(/ha\.cf:3: .*auto_failbackon/);
  });

  it("runs its group, keeps its last good config on a bad SIGHUP, and on SIGTERM stops the group and exits 0", async () => {
    const state = join(dir, "dummy-web.state");
    const cfg = await writeConfig("good", await freePort(), `n1 group=web Dummy::${state}\n`);
    const a = startAgent(cfg, "good");
    await waitForEvent("good", "GroupStarted").catch((e) => {
      throw new Error(`${(e as Error).message}\n${a.stderr()}`);
    });
    expect(existsSync(state)).toBe(true);

    writeFileSync(join(cfg, "ha.cf"), "keepalive 2\nnode n1\nmcast eth0239.0.0.1 694 1 0\n");
    a.c.kill("SIGHUP");
    const rejected = await waitForEvent("good", "ConfigRejected");
    expect(JSON.stringify(rejected.errors)).toMatch(/ha\.cf:3: .*ran together/);
    expect(a.c.exitCode).toBeNull();

    const status = JSON.parse(vigil(["status", "--json", "--nats", nats.url, "--cluster", "good"]).stdout);
    expect(status.groups).toEqual([expect.objectContaining({ id: "web", node: "n1", state: "started" })]);

    a.c.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(existsSync(state)).toBe(false);
    await waitForEvent("good", "AgentStopped");
    const after = JSON.parse(vigil(["status", "--json", "--nats", nats.url, "--cluster", "good"]).stdout);
    expect(after.nodes).toEqual([expect.objectContaining({ name: "n1", state: "offline" })]);
    expect(after.groups[0]).toMatchObject({ id: "web", node: null, state: "stopped" });
  });

  it("operator commands refuse what the cluster cannot do, with the reason", async () => {
    const r = vigil(["resource", "move", "nosuch", "n1", "--nats", nats.url, "--cluster", "good"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown group "nosuch"/);
    const n = vigil(["node", "standby", "n9", "--nats", nats.url, "--cluster", "good"]);
    expect(n.status).not.toBe(0);
    expect(n.stderr).toMatch(/no node "n9" in this cluster \(nodes: n1\)/);
    const gone = vigil(["status", "--nats", "nats://127.0.0.1:1", "--cluster", "good"]);
    expect(gone.status).not.toBe(0);
    expect(gone.stderr).toMatch(/cannot reach the event log/);
  });

  it("without any NATS given, starts a local nats-server, records there, and stops it on SIGTERM", async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const cfg = await writeConfig("local", await freePort(), "");
    const a = startAgent(cfg, "local", { nats: false, env: { VIGIL_LOCAL_NATS_PORT: String(port) } });
    const started = await waitForEvent("local", "AgentStarted", 15_000, url);
    expect(started).toMatchObject({ node: "n1", type: "AgentStarted" });
    a.c.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    const gone = vigil(["status", "--nats", url, "--cluster", "local"]);
    expect(gone.status).not.toBe(0);
  });

  it("an agent that starts again folds only the tail of the log, from its local snapshot", async () => {
    const cfg = await writeConfig("snap", await freePort(), `n1 group=web Dummy::${join(dir, "snap.state")}\n`);
    const first = startAgent(cfg, "snap");
    await waitForEvent("snap", "GroupStarted");
    first.c.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dir, "state-snap", "view.json"))).toBe(true);

    const again = startAgent(cfg, "snap");
    const until = Date.now() + 15_000;
    while (!again.stderr().includes("fold restored from the local snapshot") && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(again.stderr()).toMatch(/"lastSeq":\d+.*fold restored from the local snapshot/);
    // Still starting (heartbeat, log catch-up): a SIGTERM now must still end in a clean stop.
    again.c.kill("SIGTERM");
    expect(await again.exited).toBe(0);
    expect(again.stderr()).toMatch(/agent stopping/);
  });
});
