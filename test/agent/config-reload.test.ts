// SIGHUP with a valid change (issue 8): a real `vigil agent` on loopback with Dummy resources applies
// what can change live (groups added and removed, auto_failback), records ConfigLoaded with what
// changed and what waits for a restart (timing), and `vigil status` shows the configured groups as
// the latest ConfigLoaded lists them (a removed group leaves and cannot be moved).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  dir = mkdtempSync(join(tmpdir(), "vigil-reload-"));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function haCf(port: number, o: { deadtime: string; failback: string }): string {
  return [`keepalive 100ms`, `warntime 300ms`, `deadtime ${o.deadtime}`, `initdead 1`, `bind 127.0.0.1:${port}`, `ucast lo 127.0.0.2:${port}`, `node n1`, `auto_failback ${o.failback}`, `cluster reload`, ""].join("\n");
}

function vigil(args: string[]) {
  return spawnSync(process.execPath, [VIGIL, ...args, "--nats", nats.url, "--cluster", "reload"], { encoding: "utf8", timeout: 20_000 });
}

function events(type: string): Array<Record<string, unknown>> {
  return vigil(["log", "--json", "--type", type]).stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}

describe("SIGHUP with a valid change", () => {
  it("applies groups added and removed and auto_failback live, says what waits for a restart, and status follows", async () => {
    const cfg = join(dir, "cfg");
    mkdirSync(cfg);
    const port = await freePort();
    const web = join(dir, "web.state");
    const db = join(dir, "db.state");
    const api = join(dir, "api.state");
    writeFileSync(join(cfg, "ha.cf"), haCf(port, { deadtime: "600ms", failback: "on" }));
    writeFileSync(join(cfg, "authkeys"), "auth 1\n1 sha256 test-secret\n");
    chmodSync(join(cfg, "authkeys"), 0o600);
    writeFileSync(join(cfg, "haresources"), `n1 group=web Dummy::${web}\nn1 group=db Dummy::${db}\n`);
    const agent = spawn(process.execPath, [VIGIL, "agent", "--config", cfg, "--node", "n1", "--nats", nats.url, "--state-dir", join(dir, "state")], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, VIGIL_NATS: "" },
    });
    children.push(agent);
    let stderr = "";
    agent.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    try {
      await until("web and db started", () => existsSync(web) && existsSync(db));
      const first = await until("the first ConfigLoaded", () => events("ConfigLoaded")[0]);
      expect(first.digest).toMatch(/^[0-9a-f]{12}$/);

      writeFileSync(join(cfg, "ha.cf"), haCf(port, { deadtime: "700ms", failback: "off" }));
      writeFileSync(join(cfg, "haresources"), `n1 group=web Dummy::${web}\nn1 group=api Dummy::${api}\n`);
      agent.kill("SIGHUP");
      const reloaded = await until("a ConfigLoaded with changes", () => events("ConfigLoaded").find((e) => Array.isArray(e.changes)));
      expect(reloaded.changes).toEqual(expect.arrayContaining(["group api added", "group db removed (stopped here first)", "auto_failback on → off"]));
      expect((reloaded.pending as string[]).join("\n")).toMatch(/timing .*deadtimeMs.*waits for a restart/);
      expect(reloaded.digest).not.toBe(first.digest);
      expect(reloaded.autoFailback).toBe("off");
      expect(reloaded.deadtimeMs).toBe(600); // timing waits: the agent still runs with the old one

      // Live: db stopped here, api probed and started, web untouched.
      await until("db stopped and api started", () => !existsSync(db) && existsSync(api));
      expect(existsSync(web)).toBe(true);
      const webStops = events("GroupStopping").filter((e) => e.group === "web");
      expect(webStops).toEqual([]);

      const status = JSON.parse(vigil(["status", "--json"]).stdout) as {
        groups: Array<{ id: string; state: string }>;
        configs: Record<string, { digest: string; pending: string[] }>;
      };
      expect(status.groups.map((g) => g.id).sort()).toEqual(["api", "web"]);
      expect(status.configs.n1?.digest).toBe(reloaded.digest);
      expect(status.configs.n1?.pending.join("\n")).toMatch(/timing/);
      const text = vigil(["status"]).stdout;
      expect(text).toMatch(/2 resource groups configured/);
      expect(text).toMatch(/n1 waits for a restart: timing/);
      const move = vigil(["resource", "move", "db", "n1"]);
      expect(move.status).not.toBe(0);
      expect(move.stderr).toMatch(/unknown group "db"/);

      // The same file again changes nothing and records nothing.
      agent.kill("SIGHUP");
      await until("the agent logged 'configuration unchanged'", () => stderr.includes("configuration unchanged"));
      expect(events("ConfigLoaded").length).toBe(2);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- agent stderr ---\n${stderr.slice(-4000)}`);
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) => agent.once("exit", r));
    }
  }, 60_000);
});
