// The demo on the namespace lab: three nodes, a three-server NATS cluster, a client. Scene 1 is a
// floating IP in front of an HTTP service (failover, failback, standby, move); scene 2 the NFS-style
// group (address, DRBD stand-in, ext4 on a loop device, export) failing over in order.
import { join } from "node:path";
import { is } from "../lab/event-tail.js";
import { leftoverNamespaces } from "../lab/lab.js";
import { createDemoCluster, DEMO_TIMING, destroyDemoCluster, NFS, NODES, WEB, type DemoCluster } from "./demo-cluster.js";
import { status } from "./demo-steps.js";
import { note, say, showLiveLog } from "./narrate.js";
import { nfsScene } from "./nfs-scene.js";
import { webScene, type Measured } from "./web-scene.js";

export interface LabDemoOptions {
  /** Run scene 2 (the NFS-style group); `--no-nfs` turns it off. */
  nfs: boolean;
}

export async function runLabDemo(signal: AbortSignal, opts: LabDemoOptions = { nfs: true }): Promise<void> {
  say("Building the lab: a bridge namespace, nodes n1 n2 n3, a client, and a 3-server NATS JetStream cluster");
  if (opts.nfs) note("and for the NFS-style group: a 64 MiB loop device with ext4 (skip this scene with --no-nfs)");
  const c = await createDemoCluster(opts.nfs);
  let failed = false;
  try {
    await scenario(c, signal, opts);
  } catch (e) {
    failed = true;
    if (!signal.aborted) process.stdout.write(`\nThe demo failed: ${(e as Error).message}\n\n${c.lab.diagnostics()}\n`);
    throw e;
  } finally {
    say(failed ? "Tearing down after the failure" : "Tearing down: agents (they stop their groups), the loop device, NATS, namespaces, temp files");
    const problems = await destroyDemoCluster(c.lab, c.storage);
    const left = await leftoverNamespaces(c.lab.prefix);
    for (const p of problems) note(`teardown problem: ${p}`);
    note(left.length === 0 && problems.length === 0 ? "nothing left behind" : `LEFT BEHIND: ${left.join(" ")}`);
  }
}

async function scenario(c: DemoCluster, signal: AbortSignal, opts: LabDemoOptions): Promise<void> {
  const checkpoint = () => {
    if (signal.aborted) throw new Error("interrupted");
  };
  signal.addEventListener("abort", () => c.events.cancel(new Error("interrupted")), { once: true });
  const { lab } = c;
  const t = DEMO_TIMING;
  note(`lab ${lab.prefix}: nodes on 198.51.100.11-13, client .100, NATS on .201-.203`);
  note(`heartbeats: multicast ${lab.mcast.group}:${lab.mcast.port}, keepalive ${t.keepaliveMs}ms, warntime ${t.warntimeMs}ms, deadtime ${t.deadtimeMs}ms, auto_failback on`);
  note("every node runs a tiny HTTP server on port 80 that answers its own name;");
  note(`the client fetches http://${WEB.vip}/ every 5 ms${c.nfsProbe ? ` (and http://${NFS.vip}/, the NFS group's address, every 10 ms)` : ""}`);
  note("haresources:");
  for (const l of c.haresources.trimEnd().split("\n")) note(`  ${l}`);

  await c.events.waitFor((e) => e.type === "AgentStarted", 30_000, "the first AgentStarted");
  say("The event log, live (`vigil log -f` from the client; membership, placement, group, resource and operator events):");
  lab.track(showLiveLog(lab.cli.argv(["log", "-f"]), join(lab.dir, "demo-log.err"), true));
  await c.events.waitForAll(
    NODES.flatMap((o) => NODES.filter((p) => p !== o).map((p) => is("NodeUp", { node: o, peer: p }))),
    30_000,
    "membership forming",
  );
  checkpoint();
  say("Membership formed: every node hears the two others. Waiting for the client to be answered from n1");
  const first = await c.web.waitForAnswerFrom(WEB.home, 45_000, 0);
  await c.web.waitSettledOn(WEB.home, 500, 30_000);
  note(`the VIP ${WEB.vip} answers from ${first.node}`);
  if (c.nfsProbe) await c.nfsProbe.waitSettledOn(NFS.home, 500, 45_000);
  await c.events.waitFor((e) => is("GroupStarted", { node: WEB.home })(e) && e.group === WEB.group, 15_000, "web started");
  await status(c);
  checkpoint();

  const measured: Measured[] = await webScene(c, checkpoint);
  if (c.storage) measured.push(...(await nfsScene(c, c.storage, checkpoint)));

  say("What the client saw, step by step (outage = longest gap between successful answers):");
  const w = Math.max(...measured.map((m) => m.step.length));
  for (const m of measured) note(`  ${m.step.padEnd(w)}  ${m.from} → ${m.to}  ${String(m.outageMs).padStart(6)} ms`);
  note(`(heartbeat timing: keepalive ${t.keepaliveMs}ms, deadtime ${t.deadtimeMs}ms; link-loss outage ≈ deadtime + takeover; \`npm run bench\` measures medians)`);
}
