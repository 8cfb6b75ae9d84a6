// One call builds a whole lab (bridge, node and client namespaces, NATS, agent launcher, faults, CLI),
// and `destroy()` takes all of it down again, whatever state a failing test left it in.
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentSet } from "./agents.js";
import { vigilCli, type VigilCli } from "./cli.js";
import { FAST_LAB_TIMING, writeClusterConfig, type ClusterConfigFiles, type LabTiming } from "./config-files.js";
import { EventTail } from "./event-tail.js";
import { forgetDir, rememberDir } from "./exit-cleanup.js";
import { Faults } from "./faults.js";
import type { LabProcess } from "./lab-process.js";
import { NatsLab } from "./nats.js";
import { assertLabCapable, LAB_SUBNET, LabNetwork, listNamespaces, type LabHost } from "./netns.js";
import { makeRunPrefix } from "./run-prefix.js";
import { sweepDeadRuns } from "./sweep.js";
import { randomBytes } from "node:crypto";

export interface LabOptions {
  nodes?: readonly string[];
  natsServers?: 0 | 1 | 3;
  client?: boolean;
  timing?: LabTiming;
}

export interface Lab {
  prefix: string;
  /** The run's temp dir: configs, state dirs, logs, NATS stores. */
  dir: string;
  nodes: readonly string[];
  timing: LabTiming;
  net: LabNetwork;
  nats: NatsLab;
  agents: AgentSet;
  faults: Faults;
  /** `vigil …` from the client namespace. */
  cli: VigilCli;
  /** The multicast group and port the default configs use. */
  mcast: { group: string; port: number };
  /** A fresh shared key for this run (authkeys). */
  key: string;
  host(name: string): LabHost;
  /** Writes node's config dir (`agents.configDir(node)`) with the lab defaults, overridden by `over`. */
  writeConfig(node: string, over?: Partial<ClusterConfigFiles>): string;
  /** Writes every node's config with the lab defaults. */
  writeConfigs(over?: Partial<ClusterConfigFiles>): void;
  /** Starts `vigil log -f --json` in the client namespace (extra args appended, e.g. `--type NodeDead`). */
  tail(extraArgs?: readonly string[]): EventTail;
  /** Hands a process the test started itself to the lab, so `destroy()` stops it first. */
  track(proc: LabProcess): LabProcess;
  /** Agents' log tails and the lab layout, to print when a test fails. */
  diagnostics(): string;
  destroy(): Promise<void>;
}

/** ha.cf's `cluster` for every lab config (names the stream); the CLI is given the same. */
export const LAB_CLUSTER = "lab";
export const nodeAddr = (i: number) => `${LAB_SUBNET}.${11 + i}`;
export const CLIENT_ADDR = `${LAB_SUBNET}.100`;
export const natsAddr = (i: number) => `${LAB_SUBNET}.${201 + i}`;

export async function createLab(opts: LabOptions = {}): Promise<Lab> {
  await assertLabCapable();
  await sweepDeadRuns();
  const nodes = opts.nodes ?? ["n1", "n2", "n3"];
  const natsCount = opts.natsServers ?? 1;
  const timing = opts.timing ?? FAST_LAB_TIMING;
  const prefix = makeRunPrefix();
  const dir = join(tmpdir(), `${prefix}-lab`);
  mkdirSync(dir, { recursive: true });
  rememberDir(dir);

  const net = new LabNetwork(prefix);
  const tails: EventTail[] = [];
  const tracked: LabProcess[] = [];
  let nats: NatsLab | undefined;
  let agents: AgentSet | undefined;
  let faults: Faults | undefined;
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    const problems: string[] = [];
    const step = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message}`);
      }
    };
    await step("event tails", () => Promise.all([...tails.map((t) => t.stop()), ...tracked.map((p) => p.stop(3_000))]));
    if (agents) await step("agents", () => agents!.stopAll(5_000));
    if (nats) await step("nats", () => nats!.stopAll());
    if (faults) await step("nft tables", () => faults!.healAll());
    await step("namespaces", async () => {
      const failed = await net.destroy();
      if (failed.length) throw new Error(failed.join("; "));
    });
    rmSync(dir, { recursive: true, force: true });
    forgetDir(dir);
    if (problems.length) throw new Error(`lab ${prefix}: teardown problems: ${problems.join(" | ")}`);
  };

  try {
    await net.createBridge();
    nodes.forEach((n) => {
      if (n.length > 12) throw new Error(`lab: node name ${n} is too long for an interface name`);
    });
    // The hosts at once: each is its own namespace and veth, so only the spawns' latency adds up.
    const natsHosts = Array.from({ length: natsCount }, (_, i) => ({ name: `s${i + 1}`, addr: natsAddr(i) }));
    const hosts = [...nodes.map((n, i) => ({ name: n, addr: nodeAddr(i) })), ...(opts.client !== false ? [{ name: "c", addr: CLIENT_ADDR }] : []), ...natsHosts];
    const made = await Promise.allSettled(hosts.map((h) => net.addHost(h.name, h.addr)));
    const failed = made.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const natsPlaces = natsHosts.map((h) => ({ ns: net.host(h.name).ns, addr: h.addr, clientPort: 4222, clusterPort: 6222, monitorPort: 8222 }));
    nats = new NatsLab(natsPlaces, dir, "vlab");
    if (natsCount > 0) await nats.start();
    const natsLab = nats;
    agents = new AgentSet(dir, (n) => ({ ns: net.host(n).ns }), () => natsLab.urls());
    faults = new Faults(prefix, (n) => net.host(n));
  } catch (e) {
    await destroy().catch(() => {});
    throw e;
  }

  const rnd = randomBytes(4);
  const mcast = { group: `239.${rnd[0]! % 250 + 1}.${rnd[1]}.${rnd[2]! % 250 + 1}`, port: 6900 + (rnd[3]! % 90) };
  const key = randomBytes(24).toString("hex");
  const agentSet = agents;
  const natsLab = nats;
  const defaults = (): ClusterConfigFiles => ({
    cluster: LAB_CLUSTER,
    nodes,
    media: [`mcast eth0 ${mcast.group} ${mcast.port} 1 0`],
    timing,
    key,
  });
  const clientNs = opts.client !== false ? net.host("c").ns : undefined;
  const cli = vigilCli(clientNs, () => natsLab.urls(), LAB_CLUSTER);

  const lab: Lab = {
    prefix,
    dir,
    nodes,
    timing,
    net,
    nats: natsLab,
    agents: agentSet,
    faults,
    cli,
    mcast,
    key,
    host: (name) => net.host(name),
    writeConfig: (node, over = {}) => writeClusterConfig(agentSet.configDir(node), { ...defaults(), ...over }),
    writeConfigs: (over = {}) => {
      for (const n of nodes) writeClusterConfig(agentSet.configDir(n), { ...defaults(), ...over });
    },
    tail: (extraArgs = []) => {
      const t = new EventTail(
        (from) => cli.argv(["log", "-f", "--json", ...(from === undefined ? [] : ["--from", String(from)]), ...extraArgs]),
        join(dir, `tail-${tails.length + 1}.log`),
      );
      tails.push(t);
      return t;
    },
    track: (proc) => (tracked.push(proc), proc),
    diagnostics: () =>
      [
        `lab ${prefix} in ${dir}; namespaces: ${net.namespaces.join(" ")}`,
        agentSet.logTails(),
        ...natsLab.servers.map((s) => `--- nats ${s.name} (${s.proc?.alive ? "running" : "down"}) ---\n${s.proc?.logTail(10) ?? ""}`),
      ].join("\n"),
    destroy,
  };
  return lab;
}

/** Namespaces of this run still present (for tests of the teardown itself). */
export async function leftoverNamespaces(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((ns) => ns.startsWith(`${prefix}-`));
}
