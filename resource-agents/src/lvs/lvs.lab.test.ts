// Real traffic through the nftables backend: a client in its own namespace hits VIP:80 and the
// director (the built lvs-director.js, run inside its namespace) spreads it over two real servers.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../exec/run-command.js";
import { CLIENT_SOURCES, type LabProcess, LvsLab, REAL, REAL_PORT, VIP } from "./lvs-lab-fixture.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const DIRECTOR = join(ROOT, "resource-agents/dist/lvs/lvs-director.js");
const isRoot = process.getuid?.() === 0;

const lab = new LvsLab();
let dir = "";
const servers: Partial<Record<"a" | "b", LabProcess>> = {};

function service(algo: string, extra = "", checks = { a: "", b: "" }): string {
  return `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo ${algo}
  lb_kind NAT
  protocol TCP
  ${extra}
  real_server ${REAL.a} ${REAL_PORT} {
    weight 3
    ${checks.a}
  }
  real_server ${REAL.b} ${REAL_PORT} {
    weight 1
    ${checks.b}
  }
}
`;
}

const TABLE = `lvs_lab_${lab.id}`;

/** Starts the director for `text`, runs `body`, then stops it with SIGTERM and checks it removed its table. */
async function withDirector(name: string, text: string, body: (d: LabProcess) => Promise<void>): Promise<void> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, text);
  const d = lab.spawnIn(lab.ns.director, ["node", DIRECTOR, file, "nftables", TABLE]);
  try {
    const started = await d.waitFor((l) => l.event === "start", 15_000);
    expect(started.rc).toBe(0);
    expect(await lab.nftTables()).toContain(`table ip ${TABLE}`);
    await body(d);
  } finally {
    d.child.kill("SIGTERM");
    const stopped = await d.waitFor((l) => l.event === "stop", 15_000).catch(() => undefined);
    await lab.kill(d);
    expect(stopped?.rc).toBe(0);
  }
  expect(await lab.nftTables()).not.toContain(TABLE);
}

const tally = (results: [string, string][]) =>
  results.reduce<Record<string, number>>((acc, [, body]) => ({ ...acc, [body]: (acc[body] ?? 0) + 1 }), {});

describe.skipIf(!isRoot)("lvs director with the nftables backend (lab)", () => {
  beforeAll(async () => {
    // The director runs from the build (a process of its own inside the namespace); build if needed.
    await runCommand(["npx", "tsc", "-b", join(ROOT, "resource-agents/tsconfig.json")], { timeoutMs: 120_000, cwd: ROOT });
    if (!existsSync(DIRECTOR)) throw new Error(`${DIRECTOR} missing: the resource-agents build failed`);
    dir = mkdtempSync(join(tmpdir(), `lvs-lab-${lab.id}-`));
    await lab.up();
    servers.a = await lab.realServer("a");
    servers.b = await lab.realServer("b");
  });

  afterAll(async () => {
    await lab.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("rr spreads 40 requests evenly over both real servers", async () => {
    await withDirector("rr", service("rr"), async () => {
      const t = tally(await lab.requests(40));
      expect(t.a).toBeGreaterThanOrEqual(16);
      expect(t.b).toBeGreaterThanOrEqual(16);
      expect((t.a ?? 0) + (t.b ?? 0)).toBe(40);
    });
  });

  it("wrr sends three requests to the weight-3 server for each one to the weight-1 server", async () => {
    await withDirector("wrr", service("wrr"), async () => {
      const t = tally(await lab.requests(40));
      expect((t.a ?? 0) + (t.b ?? 0)).toBe(40);
      expect(t.a).toBeGreaterThanOrEqual(26);
      expect(t.a).toBeLessThanOrEqual(34);
    });
  });

  it("sh keeps each client address on one real server and still uses both", async () => {
    await withDirector("sh", service("sh"), async () => {
      const results = await lab.requests(CLIENT_SOURCES.length * 3, CLIENT_SOURCES);
      const bySource = new Map<string, Set<string>>();
      for (const [src, body] of results) bySource.set(src, (bySource.get(src) ?? new Set()).add(body));
      expect(bySource.size).toBe(CLIENT_SOURCES.length);
      for (const [src, bodies] of bySource) expect([src, [...bodies].length]).toEqual([src, 1]);
      expect(new Set(results.map(([, b]) => b))).toEqual(new Set(["a", "b"]));
    });
  });

  it("persistence_timeout keeps one client on its first real server under rr", async () => {
    await withDirector("persist", service("rr", "persistence_timeout 30"), async () => {
      const t = tally(await lab.requests(10));
      expect(Object.keys(t)).toHaveLength(1);
    });
  });

  it("persistent clients of a surviving server stay on it while another server fails and returns", async () => {
    const checks = {
      a: "TCP_CHECK { connect_timeout 1 retry 0 }",
      b: "TCP_CHECK { connect_timeout 1 retry 0 }",
    };
    const [s1, s2] = CLIENT_SOURCES as [string, string];
    await withDirector("persist-health", service("rr", "persistence_timeout 60", checks), async (d) => {
      const first = await lab.requests(2, [s1, s2]);
      const home = Object.fromEntries(first);
      expect(new Set(Object.values(home))).toEqual(new Set(["a", "b"]));
      const [onA, onB] = home[s1] === "a" ? [s1, s2] : [s2, s1];

      await lab.kill(servers.a!);
      await d.waitFor((l) => l.event === "live-change" && l.alive === false, 10_000);
      // The client of the dead server is rescheduled; the other keeps its server.
      expect(Object.fromEntries(await lab.requests(2, [onA, onB]))).toEqual({ [onA]: "b", [onB]: "b" });

      servers.a = await lab.realServer("a");
      await d.waitFor((l) => l.event === "live-change" && l.alive === true, 10_000);
      // Both are now remembered on b, and a returning server does not pull them back.
      expect(Object.fromEntries(await lab.requests(4, [onA, onB]))).toEqual({ [onA]: "b", [onB]: "b" });
      // A new client may land on the returned server again.
      const fresh = tally(await lab.requests(4, CLIENT_SOURCES.slice(2, 6)));
      expect(fresh.a).toBeGreaterThanOrEqual(1);
    });
  });

  it("a killed real server stops receiving within its check interval and receives again when restarted", async () => {
    const checks = {
      a: "HTTP_GET { url { path /health status_code 200 } connect_timeout 1 retry 1 delay_before_retry 0.5 }",
      b: "TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 0.5 }",
    };
    await withDirector("health", service("rr", "", checks), async (d) => {
      expect(tally(await lab.requests(10))).toEqual({ a: 5, b: 5 });

      const killedAt = performance.now();
      await lab.kill(servers.a!);
      const down = await d.waitFor((l) => l.event === "live-change" && l.server === `${REAL.a}:${REAL_PORT}` && l.alive === false, 10_000);
      // delay_loop 1 s + one retry (0.5 s + up to 1 s connect) + margin for a loaded machine.
      expect(performance.now() - killedAt).toBeLessThan(5_000);
      expect(down.applied).toEqual({ ok: true });
      expect(tally(await lab.requests(10))).toEqual({ b: 10 });

      const restartedAt = performance.now();
      servers.a = await lab.realServer("a");
      await d.waitFor((l) => l.event === "live-change" && l.server === `${REAL.a}:${REAL_PORT}` && l.alive === true, 10_000);
      // A down server is checked every delay_loop and returns on its first pass.
      expect(performance.now() - restartedAt).toBeLessThan(4_000);
      const t = tally(await lab.requests(10));
      expect(t).toEqual({ a: 5, b: 5 });
    });
  });
});
