// The lab's wire: one namespace holding a bridge, one namespace per host, a veth pair from each host's
// `eth0` to the bridge. Nothing here touches the root namespace: every link is created with `ip -n`
// directly inside a lab namespace.
import { forgetNamespace, rememberNamespace } from "./exit-cleanup.js";
import { inNs, must, run } from "./sh.js";

/** TEST-NET-2 (RFC 5737): never routed, so lab traffic cannot leak anywhere real. */
export const LAB_SUBNET = "198.51.100";
export const LAB_PREFIXLEN = 24;

export interface LabHost {
  /** Short name inside the lab: `n1`, `c`, `s1`… */
  name: string;
  /** Namespace name: `<prefix>-<name>`. */
  ns: string;
  addr: string;
}

export class LabNetwork {
  readonly bridgeNs: string;
  readonly hosts = new Map<string, LabHost>();
  /** Every namespace made, in order, so teardown removes exactly these. */
  readonly namespaces: string[] = [];

  constructor(readonly prefix: string) {
    this.bridgeNs = `${prefix}-br`;
  }

  async createBridge(): Promise<void> {
    await this.addNamespace(this.bridgeNs);
    // mcast_snooping off: the bridge floods multicast to every port, as a dumb switch does, so
    // heartbeats reach all nodes without an IGMP querier in the lab.
    await must(["ip", "-n", this.bridgeNs, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"]);
    await must(["ip", "-n", this.bridgeNs, "link", "set", "br0", "up"]);
  }

  /** A host namespace with `lo` up and `eth0` (addr/24) plugged into the bridge. */
  async addHost(name: string, addr: string): Promise<LabHost> {
    if (this.hosts.has(name)) throw new Error(`lab: host ${name} already exists`);
    const ns = `${this.prefix}-${name}`;
    await this.addNamespace(ns);
    const port = bridgePortName(name);
    await must(["ip", "-n", this.bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await must(["ip", "-n", this.bridgeNs, "link", "set", port, "master", "br0", "up"]);
    await must(["ip", "-n", ns, "addr", "add", `${addr}/${LAB_PREFIXLEN}`, "dev", "eth0"]);
    await must(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    await addMulticastRoute(ns);
    const host = { name, ns, addr };
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): LabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`lab: no host ${name} (have ${[...this.hosts.keys()].join(", ")})`);
    return h;
  }

  /** Deletes every namespace this network made; returns the ones that would not go. */
  async destroy(): Promise<string[]> {
    const failed: string[] = [];
    for (const ns of [...this.namespaces].reverse()) {
      const r = await run(["ip", "netns", "del", ns]);
      if (r.code !== 0 && (await namespaceExists(ns))) failed.push(`${ns}: ${r.stderr.trim()}`);
      else forgetNamespace(ns);
    }
    this.namespaces.length = 0;
    this.hosts.clear();
    return failed;
  }

  private async addNamespace(ns: string): Promise<void> {
    await must(["ip", "netns", "add", ns]);
    this.namespaces.push(ns);
    rememberNamespace(ns);
    await must(["ip", "-n", ns, "link", "set", "lo", "up"]);
  }
}

/** The bridge-side end of a host's veth; lives only in the bridge namespace, so it cannot clash. */
export const bridgePortName = (host: string) => `p-${host}`.slice(0, 15);

/** Multicast needs a route out of eth0 (the kernel flushes it when eth0 goes down, so link-up adds it again). */
export async function addMulticastRoute(ns: string): Promise<void> {
  await must(["ip", "-n", ns, "route", "replace", "224.0.0.0/4", "dev", "eth0"]);
}

export async function listNamespaces(): Promise<string[]> {
  const out = await must(["ip", "netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.length > 0);
}

export async function namespaceExists(ns: string): Promise<boolean> {
  return (await listNamespaces()).includes(ns);
}

/** Pids of processes living in `ns` (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const r = await run(["ip", "netns", "pids", ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/** Checks the lab can run at all; throws a clear error instead of letting tests skip. */
export async function assertLabCapable(): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new Error("lab: the network-namespace lab needs root (ip netns, veth, nft); run the tests as root");
  }
  const r = await run(["ip", "netns", "list"]);
  if (r.code !== 0) throw new Error(`lab: \`ip netns list\` failed (${r.stderr.trim()}); is iproute2 installed?`);
}

export { inNs };
