// The IPVS backend's work as argv lists for `ipvsadm`, computed from the virtual service and the set
// of live real servers. Pure, so the exact commands are unit-tested on a kernel without IPVS.
import { serverKey, type VirtualService } from "./virtual-service.js";

const FORWARD = { NAT: "-m", DR: "-g", TUN: "-i" } as const;

const serviceArgs = (s: VirtualService) => [s.protocol === "UDP" ? "-u" : "-t", `${s.vip}:${s.port}`];

/** The destinations IPVS should hold, `ip:port` → weight, in config order. A dead server is left out,
 *  or kept at weight 0 with keepalived's inhibit_on_failure (its open connections drain); the sorry
 *  server stands in while no real server is alive. */
export function desiredDestinations(service: VirtualService, liveServers: ReadonlySet<string>): Map<string, number> {
  const dests = new Map<string, number>();
  for (const rs of service.realServers) {
    const key = serverKey(rs);
    if (liveServers.has(key)) dests.set(key, rs.weight);
    else if (rs.inhibitOnFailure) dests.set(key, 0);
  }
  const anyAlive = service.realServers.some((rs) => liveServers.has(serverKey(rs)));
  if (!anyAlive && service.sorryServer) dests.set(serverKey(service.sorryServer), 1);
  return dests;
}

function dest(service: VirtualService, op: "-a" | "-e", key: string, weight: number): string[] {
  return ["ipvsadm", op, ...serviceArgs(service), "-r", key, FORWARD[service.lbKind], "-w", String(weight)];
}

/** Creates the virtual service and its destinations: `ipvsadm -A …` then one `ipvsadm -a …` each. */
export function ipvsadmCommands(service: VirtualService, liveServers: ReadonlySet<string>): string[][] {
  const add = ["ipvsadm", "-A", ...serviceArgs(service), "-s", service.lbAlgo];
  if (service.persistenceTimeoutS !== undefined) add.push("-p", String(service.persistenceTimeoutS));
  const cmds = [add];
  for (const [key, weight] of desiredDestinations(service, liveServers)) cmds.push(dest(service, "-a", key, weight));
  return cmds;
}

/** The commands that take IPVS from `prev` to `next` live servers: `-d` for a destination that goes,
 *  `-a` for one that comes, `-e` for one whose weight changes (inhibit_on_failure). */
export function ipvsadmUpdate(
  service: VirtualService,
  prevLive: ReadonlySet<string>,
  nextLive: ReadonlySet<string>,
): string[][] {
  const before = desiredDestinations(service, prevLive);
  const after = desiredDestinations(service, nextLive);
  const cmds: string[][] = [];
  for (const key of before.keys()) {
    if (!after.has(key)) cmds.push(["ipvsadm", "-d", ...serviceArgs(service), "-r", key]);
  }
  for (const [key, weight] of after) {
    const old = before.get(key);
    if (old === undefined) cmds.push(dest(service, "-a", key, weight));
    else if (old !== weight) cmds.push(dest(service, "-e", key, weight));
  }
  return cmds;
}

/** Removes the virtual service with all its destinations. */
export function ipvsadmDelete(service: VirtualService): string[] {
  return ["ipvsadm", "-D", ...serviceArgs(service)];
}

/** Lists the one virtual service; exits non-zero when IPVS does not have it. */
export function ipvsadmList(service: VirtualService): string[] {
  return ["ipvsadm", "-L", "-n", ...serviceArgs(service)];
}
