// The demo on the namespace lab: three nodes, a three-server NATS cluster, and n2's link going
// down and up while the event log scrolls by.
import { join } from "node:path";
import { is } from "../lab/event-tail.js";
import { createLab, leftoverNamespaces, type Lab } from "../lab/lab.js";
import type { LabTiming } from "../lab/config-files.js";
import { note, say, showLiveLog, showStatus } from "./narrate.js";

/** Slow enough to watch, fast enough not to bore: heartbeat's rule deadtime > 2 × keepalive holds. */
const DEMO_TIMING: LabTiming = { keepaliveMs: 200, warntimeMs: 500, deadtimeMs: 1_000, initdeadMs: 3_000 };
const NODES = ["n1", "n2", "n3"];

export async function runLabDemo(signal: AbortSignal): Promise<void> {
  say("Building the lab: a bridge namespace, nodes n1 n2 n3, a client, and a 3-server NATS JetStream cluster");
  const lab = await createLab({ nodes: NODES, natsServers: 3, client: true, timing: DEMO_TIMING });
  try {
    await scenario(lab, signal);
  } finally {
    say("Tearing down: agents, NATS servers, namespaces, temp files");
    await lab.destroy();
    const left = await leftoverNamespaces(lab.prefix);
    note(left.length === 0 ? "nothing left behind" : `LEFT BEHIND: ${left.join(" ")}`);
  }
}

async function scenario(lab: Lab, signal: AbortSignal): Promise<void> {
  const aborted = () => {
    if (signal.aborted) throw new Error("interrupted");
  };
  note(`lab ${lab.prefix}: nodes on 198.51.100.11-13, client .100, NATS on .201-.203 (${lab.nats.urls().join(" ")})`);
  note(`heartbeats: multicast ${lab.mcast.group}:${lab.mcast.port}, keepalive ${DEMO_TIMING.keepaliveMs}ms, deadtime ${DEMO_TIMING.deadtimeMs}ms`);
  lab.writeConfigs();

  say("Starting the agents (`vigil agent` in each node namespace)");
  for (const n of NODES) lab.agents.start(n);
  const events = lab.tail();
  signal.addEventListener("abort", () => events.cancel(new Error("interrupted")), { once: true });
  // The first agent up creates the stream; the live log starts once there is one to follow.
  await events.waitFor((e) => e.type === "AgentStarted", 30_000, "the first AgentStarted");
  say("The event log, live (`vigil log -f` from the client namespace):");
  lab.track(showLiveLog(lab.cli.argv(["log", "-f"]), join(lab.dir, "demo-log.err")));
  await events.waitForAll(
    NODES.flatMap((o) => NODES.filter((p) => p !== o).map((p) => is("NodeUp", { node: o, peer: p }))),
    30_000,
    "membership forming",
  );
  aborted();
  say("Membership formed: every node has heard the two others");
  await showStatus(lab.cli);

  say("Taking n2's link down (ip link set eth0 down inside n2's namespace)");
  const cutAt = Date.now();
  await lab.faults.linkDown("n2");
  const dead = await events.waitForAll(
    ["n1", "n3"].map((o) => is("NodeDead", { node: o, peer: "n2" })),
    DEMO_TIMING.deadtimeMs + 10_000,
    "n2 declared dead",
  );
  aborted();
  for (const e of dead) note(`${e.node} declared n2 dead ${Date.parse(e.time) - cutAt} ms after the cut`);
  await showStatus(lab.cli);

  say("Bringing n2's link back up");
  await lab.faults.linkUp("n2");
  await events.waitForAll(
    ["n1", "n3"].map((o) => is("NodeReturned", { node: o, peer: "n2" })),
    DEMO_TIMING.deadtimeMs + 15_000,
    "n2 returning",
  );
  aborted();
  say("n2 is back: n1 and n3 recorded NodeReturned");
  note("n2's own view of the outage (it saw n1 and n3 go silent and lost quorum) was kept in its outbox");
  note("while its link was down; it reaches the log now that n2 can talk to NATS again.");
  await showStatus(lab.cli);

  say("Stopping the agents cleanly (SIGTERM): watch AgentStopping / AgentStopped");
  await lab.agents.stopAll(10_000);
  // Let the last published lines reach the live log before it is torn down.
  await events
    .waitForAll(NODES.map((n) => is("AgentStopped", { node: n })), 5_000, "AgentStopped")
    .catch(() => note("(not every AgentStopped reached the log in time)"));
}
