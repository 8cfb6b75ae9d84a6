// The demo's cluster on the namespace lab: three nodes and a three-server NATS cluster, a tiny HTTP
// server on every node (answering its node's name on port 80), the floating IP group `web` preferred
// on n1, and optionally the NFS-style group `nfs` preferred on n2 (heartbeat's classic
// IPaddr + drbddisk + Filesystem line). A client prober fetches each VIP every few ms.
import { join } from "node:path";
import type { LabTiming } from "../lab/config-files.js";
import { EventTail } from "../lab/event-tail.js";
import { HttpProbe, startNodeServer } from "../lab/http-probe.js";
import { createLab, type Lab } from "../lab/lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "../lab/netns.js";
import { withEnv } from "./agent-env.js";
import { note } from "./narrate.js";
import { prepareNfsStorage, type NfsStorage } from "./nfs-storage.js";

/** heartbeat's rule deadtime > 2 × keepalive holds; short enough that failover is quick to watch,
 *  long enough not to fail over falsely on a busy 2-core machine. */
export const DEMO_TIMING: LabTiming = { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 2_000 };
export const NODES = ["n1", "n2", "n3"] as const;
export const WEB = { group: "web", vip: `${LAB_SUBNET}.50`, home: "n1" } as const;
export const NFS = { group: "nfs", vip: `${LAB_SUBNET}.60`, home: "n2" } as const;

export interface DemoCluster {
  lab: Lab;
  events: EventTail;
  web: HttpProbe;
  /** The NFS group's VIP, probed too (every node's HTTP server answers on any address it holds). */
  nfsProbe: HttpProbe | undefined;
  storage: NfsStorage | undefined;
  haresources: string;
  agentPids(): Map<string, number>;
}

/** Builds the lab and starts everything; on failure it has torn down what it built before throwing. */
export async function createDemoCluster(withNfs: boolean): Promise<DemoCluster> {
  const lab = await createLab({ nodes: [...NODES], natsServers: 3, client: true, timing: DEMO_TIMING });
  let storage: NfsStorage | undefined;
  try {
    if (withNfs) storage = await prepareNfsStorage(lab.dir);
    const haresources = [
      "# the demo's floating IP in front of the HTTP service, preferred on n1",
      `${WEB.home} group=${WEB.group} IPaddr::${WEB.vip}/${LAB_PREFIXLEN}/eth0`,
      ...(storage
        ? [
            "# heartbeat's classic NFS line: address, DRBD primary (stand-in), ext4 mount",
            `${NFS.home} group=${NFS.group} ${storage.resources(`${NFS.vip}/${LAB_PREFIXLEN}/eth0`).join(" ")}`,
          ]
        : []),
      "",
    ].join("\n");
    lab.writeConfigs({ haresources, extra: ["auto_failback on"] });

    for (const n of NODES) lab.track(await startNodeServer(lab.host(n).ns, n, join(lab.dir, `http-${n}.log`)));
    for (const n of NODES) withEnv(storage?.agentEnv(n) ?? {}, () => lab.agents.start(n));

    const events = lab.tail();
    const clientNs = lab.host("c").ns;
    // Bounded: a request every 5 ms for at most 5 minutes (the demo takes about one).
    const bounds = { intervalMs: 5, timeoutMs: 300, maxMs: 5 * 60_000, maxCount: 60_000 };
    const web = new HttpProbe(clientNs, `http://${WEB.vip}/`, join(lab.dir, "probe-web.log"), bounds);
    lab.track(web.proc);
    let nfsProbe: HttpProbe | undefined;
    if (storage) {
      nfsProbe = new HttpProbe(clientNs, `http://${NFS.vip}/`, join(lab.dir, "probe-nfs.log"), { ...bounds, intervalMs: 10 });
      lab.track(nfsProbe.proc);
    }
    const agentPids = () => new Map(NODES.map((n) => [n, lab.agents.pid(n)] as const));
    return { lab, events, web, nfsProbe, storage, haresources, agentPids };
  } catch (e) {
    note(`start-up failed; agents' last lines:\n${lab.agents.nodes().length ? lab.agents.logTails(15) : "(no agents)"}`);
    await destroyDemoCluster(lab, storage).catch(() => {});
    throw e;
  }
}

/** Agents first (they stop their groups: unexport, unmount, DRBD secondary), then the disk, then the lab. */
export async function destroyDemoCluster(lab: Lab, storage: NfsStorage | undefined): Promise<string[]> {
  const problems: string[] = [];
  try {
    await lab.agents.stopAll(10_000);
  } catch (e) {
    problems.push(`agents: ${(e as Error).message}`);
  }
  if (storage) problems.push(...(await storage.release()));
  try {
    await lab.destroy();
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}
