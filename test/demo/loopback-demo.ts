// The demo without root: no namespaces, so three agents share loopback (unicast between 127.0.0.11-13,
// each bound to its own address) and one local nats-server; the fault is SIGSTOP instead of a link cut.
// No addresses can be added without root, so the group is OCF's Dummy (a state file per node, in the
// node's own HA_RSCTMP) and it moves by standby and move; it is skipped where Dummy is not installed.
import { existsSync, mkdirSync, rmSync } from "node:fs";
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
import { withEnv } from "./agent-env.js";
import { note, say, showLiveLog, showStatus } from "./narrate.js";

const TIMING: LabTiming = { keepaliveMs: 200, warntimeMs: 500, deadtimeMs: 1_000, initdeadMs: 3_000 };
const NODES = ["n1", "n2", "n3"];
const addr = (i: number) => `127.0.0.${11 + i}`;
const OCF_DUMMY = "/usr/lib/ocf/resource.d/heartbeat/Dummy";
const GROUP = "web";

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
    const withGroup = existsSync(OCF_DUMMY);
    const haresources = withGroup ? `n1 group=${GROUP} ocf:heartbeat:Dummy\n` : "# no groups\n";
    NODES.forEach((n, i) =>
      writeClusterConfig(agents.configDir(n), {
        cluster: "demo",
        nodes: NODES,
        media: NODES.filter((p) => p !== n).map((p) => `ucast lo ${addr(NODES.indexOf(p))}:${udp}`),
        timing: TIMING,
        key,
        extra: [`bind ${addr(i)}:${udp}`, "auto_failback on"],
        haresources,
      }),
    );
    note(withGroup ? `haresources: ${haresources.trim()}  (OCF Dummy: a state file under each node's HA_RSCTMP)` : `no ${OCF_DUMMY} here: membership only`);
    note(`heartbeats: unicast on ${addr(0)}-${addr(2)} port ${udp}, deadtime ${TIMING.deadtimeMs}ms`);

    say("Starting the agents");
    for (const n of NODES) {
      const rsctmp = join(dir, `rsctmp-${n}`);
      mkdirSync(rsctmp, { recursive: true });
      withEnv({ HA_RSCTMP: rsctmp }, () => agents.start(n));
    }
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
    if (withGroup) await events.waitFor((e) => is("GroupStarted", { node: "n1" })(e) && e.group === GROUP, 30_000, "web started on n1");
    await showStatus(cli);

    say("Freezing n3 (SIGSTOP): it stops sending heartbeats without dying");
    agents.sigstop("n3");
    await events.waitForAll(["n1", "n2"].map((o) => is("NodeDead", { node: o, peer: "n3" })), 15_000, "n3 dead");
    if (signal.aborted) return;
    await showStatus(cli);

    say("Thawing n3 (SIGCONT)");
    agents.sigcont("n3");
    await events.waitForAll(["n1", "n2"].map((o) => is("NodeReturned", { node: o, peer: "n3" })), 15_000, "n3 back");
    say("n3 is back");
    if (!withGroup) return void (await showStatus(cli));

    // Each operator step: the command (with --wait), then the log's GroupStarted where it landed.
    const step = async (title: string, args: string[], to: string | ((e: { node: string }) => boolean)) => {
      if (signal.aborted) return;
      say(title);
      const mark = events.events().at(-1)?.seq ?? 0;
      const r = await cli.run([...args, "--wait"], 60_000);
      note(`$ vigil ${args.join(" ")} --wait → exit ${r.code}${r.code ? `: ${r.stderr.trim()}` : ""}`);
      if (r.code !== 0) throw new Error(`vigil ${args.join(" ")} failed: ${r.stderr.trim()}`);
      const landed = (e: { node: string }) => (typeof to === "string" ? e.node === to : to(e));
      const e = await events.waitFor((x) => x.seq > mark && x.type === "GroupStarted" && x.group === GROUP && landed(x), 30_000, `${GROUP} started`);
      note(`${GROUP} now runs on ${e.node}`);
    };
    await step("Standby n1: the group moves off it", ["node", "standby", "n1"], (e) => e.node !== "n1");
    await showStatus(cli);
    await step("n1 online again: the group goes home (auto_failback on)", ["node", "online", "n1"], "n1");
    await step("Move the group to n3", ["resource", "move", GROUP, "n3"], "n3");
    await showStatus(cli);
    await step("Clear the move: back to n1", ["resource", "clear", GROUP], "n1");
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
