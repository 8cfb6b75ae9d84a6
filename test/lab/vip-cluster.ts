// The failover lab: three nodes sharing one floating IP (group `web`, preferred on n1) in front of a
// tiny HTTP server on every node, a client that fetches the page every few ms, and an ARP watch for
// two owners. Used by the failover lab tests and by `npm run bench`.
import { join } from "node:path";
import type { LabTiming } from "./config-files.js";
import { HttpProbe, startNodeServer, type ProbeOptions } from "./http-probe.js";
import { CLIENT_ADDR, createLab, type Lab } from "./lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { must } from "./sh.js";
import { SplitBrainWatch, type SplitBrainWatchOptions } from "./split-brain-watch.js";

/** Inside the lab subnet, clear of the nodes (.11–.13), the client (.100) and NATS (.201–). */
export const VIP = `${LAB_SUBNET}.50`;
export const VIP_GROUP = "web";
/** The ARP watch's own host, next to the client (.100). */
export const WATCH_ADDR = `${LAB_SUBNET}.101`;
export const VIP_NODES = ["n1", "n2", "n3"] as const;

/** The failover tests' timing: heartbeat's rule deadtime > 2 × keepalive, warntime between. */
export const FAILOVER_LAB_TIMING: LabTiming = { keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300, initdeadMs: 2_000 };

export interface VipClusterOptions {
  timing?: LabTiming;
  natsServers?: 1 | 3;
  autoFailback?: "on" | "off" | "legacy";
  probe?: ProbeOptions;
  /** false: no ARP watch (the bench, where its CPU would colour the numbers). */
  watch?: SplitBrainWatchOptions | false;
  /** How long to wait for the first answer from n1 (start-up on a shared box is slow). */
  startupMs?: number;
  /** The cluster's nodes (default VIP_NODES; the group stays preferred on n1). */
  nodes?: readonly string[];
  /** More ha.cf lines (e.g. `tiebreaker nats` for a two-node cluster). */
  extra?: readonly string[];
}

export interface VipCluster {
  lab: Lab;
  vip: string;
  group: string;
  probe: HttpProbe;
  watch: SplitBrainWatch | undefined;
  /** Whether `node` has the VIP on its eth0 now (`ip -j addr` in its namespace). */
  holdsVip(node: string): Promise<boolean>;
  /** Nodes holding the VIP now. */
  holders(): Promise<string[]>;
  /** Polls (bounded) until `node` alone holds the VIP; throws naming the holders otherwise. */
  waitOnlyHolder(node: string, timeoutMs: number): Promise<void>;
  /** eth0's MAC in `node`'s namespace. */
  mac(node: string): Promise<string>;
  destroy(): Promise<void>;
}

export const vipHaresources = (group = VIP_GROUP, vip = VIP) =>
  `# the lab's floating IP, preferred on n1\nn1 group=${group} IPaddr::${vip}/${LAB_PREFIXLEN}/eth0\n`;

export async function createVipCluster(opts: VipClusterOptions = {}): Promise<VipCluster> {
  const nodes = [...(opts.nodes ?? VIP_NODES)];
  const lab = await createLab({
    nodes,
    natsServers: opts.natsServers ?? 1,
    client: true,
    timing: opts.timing ?? FAILOVER_LAB_TIMING,
  });
  try {
    lab.writeConfigs({ haresources: vipHaresources(), extra: [`auto_failback ${opts.autoFailback ?? "on"}`, ...(opts.extra ?? [])] });
    const servers = await Promise.allSettled(nodes.map((n) => startNodeServer(lab.host(n).ns, n, join(lab.dir, `http-${n}.log`))));
    for (const r of servers) if (r.status === "fulfilled") lab.track(r.value);
    const failed = servers.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    for (const n of nodes) lab.agents.start(n);
    const clientNs = lab.host("c").ns;
    const probe = new HttpProbe(clientNs, `http://${VIP}/`, join(lab.dir, "probe.log"), opts.probe);
    lab.track(probe.proc);
    // The ARP watch gets a quiet host of its own: on the probing client, replies to the kernel's own
    // neighbour probes (sent while the address moves) would look like a second answer to its request.
    const watch =
      opts.watch === false
        ? undefined
        : new SplitBrainWatch((await lab.net.addHost("w", WATCH_ADDR)).ns, VIP, "eth0", join(lab.dir, "arp-watch.log"), opts.watch);
    if (watch) lab.track(watch.proc);
    await probe.waitForAnswerFrom("n1", opts.startupMs ?? 45_000, 0);

    const holdsVip = async (node: string) => {
      const out = await must(["ip", "-j", "-n", lab.host(node).ns, "addr", "show", "dev", "eth0"]);
      const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
      return links.some((l) => (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === VIP));
    };
    const mac = async (node: string) => {
      const out = await must(["ip", "-j", "-n", lab.host(node).ns, "link", "show", "dev", "eth0"]);
      return ((JSON.parse(out) as Array<{ address: string }>)[0]?.address ?? "").toLowerCase();
    };
    const holders = async () => {
      const held = await Promise.all(lab.nodes.map(async (n) => ((await holdsVip(n)) ? n : "")));
      return held.filter(Boolean);
    };
    const waitOnlyHolder = async (node: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      let held: string[] = [];
      for (let i = 0; i < 2_000 && Date.now() < deadline; i++) {
        held = await holders();
        if (held.length === 1 && held[0] === node) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`lab: the VIP is held by [${held.join(", ")}], not by ${node} alone, after ${timeoutMs} ms`);
    };
    return { lab, vip: VIP, group: VIP_GROUP, probe, watch, holdsVip, holders, waitOnlyHolder, mac, destroy: () => lab.destroy() };
  } catch (e) {
    const diag = lab.diagnostics();
    await lab.destroy().catch(() => {});
    throw new Error(`${(e as Error).message}\n${diag}`);
  }
}

export { CLIENT_ADDR };
