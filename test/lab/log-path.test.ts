// Issue 7, defects 1, 4 and 5: the event-log path survives NATS faults. Three agents, one floating IP
// (group `web`, preferred on n1), one nats-server. After each fault the agents must still follow the
// log: an operator command given with `--wait` is carried out. One cluster serves the file; each test
// starts from the VIP settled on n1 and leaves it there.
import { mkdirSync, rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { createVipCluster, type VipCluster } from "./vip-cluster.js";

/** What the issue asks of a command after a fault: carried out within 10 s. */
const CARRIED_OUT_S = 10;
const SETTLE_MS = 30_000;

let c: VipCluster;

interface Status {
  lastSeq: number;
  nodes: Array<{ name: string; state: string }>;
  groups: Array<{ id: string; node: string | null; state: string }>;
}

async function status(): Promise<Status | null> {
  const r = await c.lab.cli.run(["status", "--json"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Status) : null;
}

/** `vigil <args> --wait --timeout 10`: exit 0 and "carried out", else the test fails naming why. */
async function carriedOut(args: string[]): Promise<number> {
  const t0 = Date.now();
  const r = await c.lab.cli.run([...args, "--wait", "--timeout", String(CARRIED_OUT_S)], (CARRIED_OUT_S + 10) * 1_000);
  expect(r.code, `vigil ${args.join(" ")} --wait: ${r.stdout}${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/carried out/);
  const ms = Date.now() - t0;
  console.log(`log-path: vigil ${args.join(" ")} --wait carried out in ${ms} ms`);
  return ms;
}

/** The commands the issue found ignored after each fault, each carried out, and the VIP where they put it. */
async function stillObeys(): Promise<void> {
  await carriedOut(["resource", "move", c.group, "n2"]);
  await c.waitOnlyHolder("n2", SETTLE_MS);
  await carriedOut(["resource", "clear", c.group]);
  await c.waitOnlyHolder("n1", SETTLE_MS);
  await carriedOut(["node", "standby", "n1"]);
  // Carried out = n1 let go of it; another node takes it over within a failover.
  let away: string[] = [];
  for (let i = 0; i < 100; i++) {
    away = await c.holders();
    if (away.length === 1 && away[0] !== "n1") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(away.length === 1 && away[0] !== "n1", `after standby n1 the VIP is held by [${away.join(", ")}]`).toBe(true);
  await carriedOut(["node", "online", "n1"]);
  await c.waitOnlyHolder("n1", SETTLE_MS);
}

/** How often each agent's watchdog restarted its log reader (printed: a measurement, not asserted). */
async function reportReaderRestarts(fault: string): Promise<void> {
  const counts = await Promise.all(c.lab.nodes.map(async (n) => `${n}=${(await agentLines(n, /made no progress/)).length}`));
  console.log(`log-path: log reader restarts so far (after ${fault}): ${counts.join(" ")}`);
}

/** Agent log lines (pino JSON) matching `msg`. */
async function agentLines(node: string, msg: RegExp): Promise<Array<Record<string, unknown>>> {
  const { readFileSync } = await import("node:fs");
  return readFileSync(c.lab.agents.logFile(node), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => msg.test(String(o.msg)));
}

describe("the event log path survives NATS faults", () => {
  beforeAll(async () => {
    c = await createVipCluster({ timing: { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 500, initdeadMs: 2_000 } });
    await c.waitOnlyHolder("n1", SETTLE_MS);
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  });

  beforeEach(async () => {
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${c.lab.diagnostics()}\n`));
    await c.waitOnlyHolder("n1", SETTLE_MS);
  });

  it("defect 1: a node whose link was down long enough for its NATS client to reconnect still follows the log", async () => {
    await c.lab.faults.linkDown("n1");
    // Past the client's ping timeout (2 s × 2 pings): it disconnects, and reconnects once the link is back.
    await new Promise((r) => setTimeout(r, 10_000));
    await c.lab.faults.linkUp("n1");
    await c.waitOnlyHolder("n1", SETTLE_MS); // failback (auto_failback on)
    await stillObeys();
    await reportReaderRestarts("the link loss");
  }, 180_000);

  it("defect 4: after the nats-server is killed and restarted on its store, every agent carries out move and clear", async () => {
    await c.lab.nats.kill(0);
    await new Promise((r) => setTimeout(r, 5_000)); // the outage
    await c.lab.nats.restart(0);
    // The issue saw commands ignored from 3 s to 45 s after the restart: give them at 3 s.
    await new Promise((r) => setTimeout(r, 3_000));
    await stillObeys();
    await reportReaderRestarts("the NATS restart");
  }, 180_000);

  it("defect 5: a NATS store lost is rebuilt by the agents: status shows the cluster again and commands work", async () => {
    const before = await status();
    expect(before?.nodes.length).toBe(3);
    const s = c.lab.nats.server(0);
    await c.lab.nats.kill(0);
    rmSync(s.storeDir, { recursive: true, force: true });
    mkdirSync(s.storeDir, { recursive: true });
    await c.lab.nats.restart(0);
    const restartedAt = Date.now();

    // Within ~25 s: the nodes, and the group on its holder, from the rebuilt log.
    let seen: Status | null = null;
    for (let i = 0; i < 60 && Date.now() - restartedAt < 30_000; i++) {
      seen = await status();
      const web = seen?.groups.find((g) => g.id === c.group);
      if (seen && seen.nodes.filter((n) => n.state === "online").length === 3 && web?.node === "n1" && web.state === "started") break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen, "vigil status after the store was lost").not.toBeNull();
    expect(Object.fromEntries(seen!.nodes.map((n) => [n.name, n.state]))).toEqual({ n1: "online", n2: "online", n3: "online" });
    expect(seen!.groups.find((g) => g.id === c.group)).toMatchObject({ node: "n1", state: "started" });
    const rebuiltMs = Date.now() - restartedAt;
    console.log(`log-path: status shows the cluster again ${rebuiltMs} ms after NATS restarted on an empty store`);
    expect(rebuiltMs).toBeLessThan(30_000);
    expect(await c.holders()).toEqual(["n1"]);

    // Each agent rebuilt its share once, and says so in its log and in the new log.
    const log = await c.lab.cli.run(["log", "--json", "--type", "LogRestored"]);
    expect(log.code, log.stderr).toBe(0);
    const restored = log.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { node: string; restored?: boolean });
    expect(restored.map((e) => e.node).sort()).toEqual(["n1", "n2", "n3"]);
    expect(restored.every((e) => e.restored === true)).toBe(true);
    for (const n of c.lab.nodes) expect(await agentLines(n, /the event log was lost/)).toHaveLength(1);

    await stillObeys();
  }, 180_000);
});
