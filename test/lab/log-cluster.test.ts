// Issue 7, defects 2 and 6, on a three-server JetStream cluster: reading never creates the stream;
// agents given one URL create it with three replicas (the server's count, not the URLs'); and after a
// kill -9 of the stream leader together with the holder's link loss, every agent still follows the log
// (standby and online carried out), the VIP is dark no longer than a failover, and the CLI never dies
// with a stack trace while the stream elects its leader.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { vigilCli } from "./cli.js";
import { createLab, type Lab } from "./lab.js";
import { inNs, must, pollUntil, run } from "./sh.js";
import { vipHaresources, VIP } from "./vip-cluster.js";

let lab: Lab;
const GROUP = "web";

interface StreamDetail {
  name: string;
  config?: { num_replicas?: number };
  cluster?: { leader?: string };
}

/** The streams as server `i` reports them on its monitoring port (`/jsz`), from inside its namespace. */
async function streams(i: number): Promise<StreamDetail[]> {
  const s = lab.nats.server(i);
  const url = `http://${s.place.addr}:${s.place.monitorPort}/jsz?accounts=true&streams=true&config=true`;
  const out = await must(inNs(s.place.ns!, ["curl", "-sf", "--max-time", "2", url]));
  const j = JSON.parse(out) as { account_details?: Array<{ stream_detail?: StreamDetail[] }> };
  return (j.account_details ?? []).flatMap((a) => a.stream_detail ?? []);
}

/** The stream as the servers that host it report it (an R1 stream lives on one of them only). */
async function hosted(name: string): Promise<StreamDetail | undefined> {
  for (const [i, srv] of lab.nats.servers.entries()) {
    if (!srv.proc?.alive) continue;
    const s = (await streams(i)).find((x) => x.name === name);
    if (s) return s;
  }
  return undefined;
}

async function holders(): Promise<string[]> {
  const held = await Promise.all(
    lab.nodes.map(async (n) => {
      const out = await must(["ip", "-j", "-n", lab.host(n).ns, "addr", "show", "dev", "eth0"]);
      const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
      return links.some((l) => (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === VIP)) ? n : "";
    }),
  );
  return held.filter(Boolean);
}

async function waitOnlyHolder(node: string | ((h: string) => boolean), timeoutMs = 30_000): Promise<string> {
  const ok = typeof node === "string" ? (h: string) => h === node : node;
  return pollUntil(
    `the VIP held by one node (${typeof node === "string" ? node : "other"})`,
    async () => {
      const h = await holders();
      return h.length === 1 && ok(h[0]!) ? h[0] : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

async function carriedOut(args: string[]): Promise<void> {
  const r = await lab.cli.run([...args, "--wait", "--timeout", "10"], 20_000);
  expect(r.code, `vigil ${args.join(" ")} --wait: ${r.stdout}${r.stderr}`).toBe(0);
  expect(r.stdout).toMatch(/carried out/);
}

/** Makes a stream with a NATS client run in the client namespace (the CLI never makes one). */
async function makeStream(url: string, name: string, subject: string, replicas: number): Promise<void> {
  const transport = import.meta.resolve("@nats-io/transport-node");
  const js = import.meta.resolve("@nats-io/jetstream");
  const code = `
    const { connect } = await import(${JSON.stringify(transport)});
    const { jetstreamManager } = await import(${JSON.stringify(js)});
    const nc = await connect({ servers: ${JSON.stringify(url)} });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: ${JSON.stringify(name)}, subjects: [${JSON.stringify(subject)}], num_replicas: ${replicas}, storage: "file" });
    await nc.close();`;
  await must(inNs(lab.host("c").ns, ["node", "--input-type=module", "-e", code]), 20_000);
}

/** A CLI failure is one line, `vigil: …`, never a stack trace. */
function expectOneLineError(r: { code: number | null; stderr: string }): void {
  if (r.code === 0) return;
  expect(r.stderr, "a stack trace from the CLI").not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/^vigil: /);
}

describe("the event log on a three-server JetStream cluster", () => {
  beforeAll(async () => {
    lab = await createLab({ nodes: ["n1", "n2", "n3"], natsServers: 3, client: true, timing: { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 500, initdeadMs: 2_000 } });
    lab.writeConfigs({ haresources: vipHaresources(GROUP, VIP), extra: ["auto_failback on"] });
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it("defect 2: reading never creates the stream; agents given one URL create it with three replicas", async () => {
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${lab.diagnostics()}\n`));
    // Before any agent: no cluster, a one-line error, exit 1, and still no stream.
    const before = await lab.cli.run(["status"]);
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(/^vigil: no cluster "lab" on nats:\/\/198\.51\.100\.20\d:4222 .*streams here: none\)\n$/);
    for (const i of [0, 1, 2]) expect(await streams(i)).toEqual([]);

    // A stream made by hand with one replica (as a read used to make it): the agents raise it.
    const first = lab.nats.urls()[0]!;
    await makeStream(first, "VIGIL_LAB", "vigil.lab.ev.>", 1);
    expect((await hosted("VIGIL_LAB"))?.config?.num_replicas).toBe(1);

    for (const n of lab.nodes) lab.agents.start(n, { extraArgs: ["--nats", first] });
    await waitOnlyHolder("n1", 60_000);
    const lab0 = await pollUntil(
      "the stream on s1 with three replicas",
      async () => {
        const s = await hosted("VIGIL_LAB");
        return s?.config?.num_replicas === 3 ? s : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(lab0.config?.num_replicas).toBe(3);
    // Issue 8: the agents said "jetstream is not enabled" at start, publishing before the stream was there.
    for (const n of lab.nodes) expect(readFileSync(lab.agents.logFile(n), "utf8")).not.toMatch(/not enabled/);

    // A typo names the clusters that do exist, and creates nothing.
    const typo = await vigilCli(lab.host("c").ns, () => lab.nats.urls(), "typo").run(["status"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/^vigil: no cluster "typo" on nats:\/\/\S+ \(.*streams here: VIGIL_LAB\)\n$/);
    for (const i of [0, 1, 2]) expect((await streams(i)).map((s) => s.name)).toEqual(["VIGIL_LAB"]);
  }, 180_000);

  // No retry. The commands' 10 s bounds used to run out in about one run in two with a server down:
  // nats-server 2.9 puts a reader's R1 consumer on a random peer of the stream, dead or not, and the CLI's
  // read then waited out a whole request timeout (or two). Readers now hedge the create
  // (log-client/src/hedged-consumer.ts).
  it("defect 6: after a kill -9 of the stream leader as n1's link goes down for 4 s, every agent still follows the log", { timeout: 240_000 }, async () => {
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${lab.diagnostics()}\n`));
    await waitOnlyHolder("n1");
    // The previous test raised the stream's replicas: its leader may still be being elected.
    const leaderName = await pollUntil(
      "the stream's leader",
      async () => (await streams(0)).find((s) => s.name === "VIGIL_LAB")?.cluster?.leader || undefined,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const leader = lab.nats.servers.findIndex((s) => leaderName.endsWith(`-${s.name}`));
    expect(leader, `stream leader ${leaderName}`).toBeGreaterThanOrEqual(0);

    // Sample the holders throughout: the longest stretch with nobody holding the VIP.
    let sampling = true;
    let darkSince: number | null = null;
    let longestDark = 0;
    const sampler = (async () => {
      for (let i = 0; sampling && i < 3_000; i++) {
        // A failed test tears the lab down under the sampler: stop with it.
        const h = await holders().catch(() => null);
        if (!h) break;
        const now = Date.now();
        if (h.length === 0) darkSince ??= now;
        else if (darkSince !== null) {
          longestDark = Math.max(longestDark, now - darkSince);
          darkSince = null;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // Reads during the election: each one answers, or fails in one line.
    const cliDuring = (async () => {
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await lab.cli.run(["status"], 20_000));
      return results;
    })();
    await Promise.all([lab.nats.kill(leader), lab.faults.linkDown("n1")]);
    await new Promise((r) => setTimeout(r, 4_000)); // the link loss
    await lab.faults.linkUp("n1");
    for (const r of await cliDuring) expectOneLineError(r);

    await waitOnlyHolder("n1", 30_000); // failback
    // Commands need the log: they are given once the stream has a leader again (on a loaded box the
    // election can outlast the failback); what this test holds is that every agent then follows.
    await pollUntil(
      "a stream leader after the election",
      async () => {
        for (const [i, srv] of lab.nats.servers.entries()) if (srv.proc?.alive) return (await streams(i)).find((s) => s.name === "VIGIL_LAB")?.cluster?.leader || undefined;
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    await carriedOut(["node", "standby", "n1"]);
    await waitOnlyHolder((h) => h !== "n1", 10_000);
    await carriedOut(["node", "online", "n1"]);
    await waitOnlyHolder("n1", 10_000);
    sampling = false;
    await sampler;
    console.log(`log-cluster: longest time with no holder around the stream-leader kill and n1's link loss: ${longestDark} ms`);
    // A failover is deadtime plus a start; bounded generously for a shared box.
    expect(longestDark, "longest time with no node holding the VIP (ms)").toBeLessThan(8_000);

    await lab.nats.restart(leader);
    const after = await lab.cli.run(["status"]);
    expect(after.code, after.stderr).toBe(0);
  });
});
