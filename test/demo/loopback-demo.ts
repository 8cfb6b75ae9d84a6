// The demo without root: no namespaces, so three agents share loopback (unicast between 127.0.0.11-13,
// each bound to its own address) and one local nats-server; the fault is SIGSTOP instead of a link cut.
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentSet } from "../lab/agents.js";
import { vigilCli } from "../lab/cli.js";
import { writeClusterConfig, type LabTiming } from "../lab/config-files.js";
import { EventTail, is } from "../lab/event-tail.js";
import { forgetDir, rememberDir } from "../lab/exit-cleanup.js";
import type { LabProcess } from "../lab/lab-process.js";
import { NatsLab } from "../lab/nats.js";
import { makeRunPrefix } from "../lab/run-prefix.js";
import { randomBytes } from "node:crypto";
import { note, say, showLiveLog, showStatus } from "./narrate.js";

const TIMING: LabTiming = { keepaliveMs: 200, warntimeMs: 500, deadtimeMs: 1_000, initdeadMs: 3_000 };
const NODES = ["n1", "n2", "n3"];
const addr = (i: number) => `127.0.0.${11 + i}`;

/** A free TCP port on loopback (asked of the kernel, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function runLoopbackDemo(signal: AbortSignal): Promise<void> {
  const dir = join(tmpdir(), `${makeRunPrefix()}-demo`);
  mkdirSync(dir, { recursive: true });
  rememberDir(dir);
  const [clientPort, clusterPort, monitorPort] = [await freePort(), await freePort(), await freePort()];
  const nats = new NatsLab([{ addr: "127.0.0.1", clientPort, clusterPort, monitorPort }], dir, "vdemo");
  const agents = new AgentSet(dir, () => ({}), () => nats.urls());
  const cli = vigilCli(undefined, () => nats.urls(), "demo");
  const tails: EventTail[] = [];
  let live: LabProcess | undefined;
  try {
    say(`Starting a local nats-server on 127.0.0.1:${clientPort}`);
    await nats.start();
    const udp = 20_000 + (randomBytes(2).readUInt16BE(0) % 20_000);
    const key = randomBytes(24).toString("hex");
    NODES.forEach((n, i) =>
      writeClusterConfig(agents.configDir(n), {
        cluster: "demo",
        nodes: NODES,
        media: NODES.filter((p) => p !== n).map((p) => `ucast lo ${addr(NODES.indexOf(p))}:${udp}`),
        timing: TIMING,
        key,
        extra: [`bind ${addr(i)}:${udp}`],
      }),
    );
    note(`heartbeats: unicast on ${addr(0)}-${addr(2)} port ${udp}, deadtime ${TIMING.deadtimeMs}ms`);

    say("Starting the agents");
    for (const n of NODES) agents.start(n);
    const events = new EventTail(
      (from) => cli.argv(["log", "-f", "--json", ...(from === undefined ? [] : ["--from", String(from)])]),
      join(dir, "tail.log"),
    );
    tails.push(events);
    signal.addEventListener("abort", () => events.cancel(new Error("interrupted")), { once: true });

    await events.waitFor((e) => e.type === "AgentStarted", 30_000, "the first AgentStarted");
    say("The event log, live (`vigil log -f`):");
    live = showLiveLog(cli.argv(["log", "-f"]), join(dir, "demo-log.err"));
    await events.waitForAll(
      NODES.flatMap((o) => NODES.filter((p) => p !== o).map((p) => is("NodeUp", { node: o, peer: p }))),
      30_000,
      "membership forming",
    );
    if (signal.aborted) return;
    say("Membership formed");
    await showStatus(cli);

    say("Freezing n2 (SIGSTOP): it stops sending heartbeats without dying");
    agents.sigstop("n2");
    await events.waitForAll(["n1", "n3"].map((o) => is("NodeDead", { node: o, peer: "n2" })), 15_000, "n2 dead");
    if (signal.aborted) return;
    await showStatus(cli);

    say("Thawing n2 (SIGCONT)");
    agents.sigcont("n2");
    await events.waitForAll(["n1", "n3"].map((o) => is("NodeReturned", { node: o, peer: "n2" })), 15_000, "n2 back");
    say("n2 is back");
    await showStatus(cli);
  } finally {
    say("Tearing down");
    await Promise.all([...tails.map((t) => t.stop()), live?.stop(2_000)]);
    await agents.stopAll(5_000);
    await nats.stopAll();
    rmSync(dir, { recursive: true, force: true });
    forgetDir(dir);
    note("done");
  }
}
