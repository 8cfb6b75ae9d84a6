// Faults a test injects into one host: its link goes down, it is cut off from some peers, or it loses
// a share of its packets. Partitions and loss are nftables rules in the host's own namespace, in a
// table named after the run, so neither the root namespace nor another run is touched.
import { addMulticastRoute, type LabHost } from "./netns.js";
import { must, run } from "./sh.js";

export class Faults {
  /** Hosts that hold our nft table now, with the rules in it. */
  private readonly tables = new Map<string, string[]>();

  constructor(
    private readonly prefix: string,
    private readonly host: (name: string) => LabHost,
  ) {}

  /** nft table names take letters, digits and `_`; the prefix is alphanumeric. */
  get tableName(): string {
    return `lab_${this.prefix}`;
  }

  async linkDown(name: string): Promise<void> {
    await must(["ip", "-n", this.host(name).ns, "link", "set", "eth0", "down"]);
  }

  /** Link up again, and the multicast route the kernel dropped with it. */
  async linkUp(name: string): Promise<void> {
    const ns = this.host(name).ns;
    await must(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    await addMulticastRoute(ns);
  }

  /**
   * Cuts every host of `side` off from every host of `other`, both ways. Rules match the sender's
   * address on input at each side, since multicast is addressed to the group, not to the peer.
   * Adds to faults already on those hosts.
   */
  async partition(side: readonly string[], other: readonly string[]): Promise<void> {
    const cut = async (at: string, from: readonly string[]) => {
      const addrs = from.map((p) => this.host(p).addr);
      if (addrs.length === 0) return;
      const set = `{ ${addrs.join(", ")} }`;
      await this.addRules(at, [
        `add rule inet ${this.tableName} input iifname "eth0" ip saddr ${set} drop`,
        `add rule inet ${this.tableName} output oifname "eth0" ip daddr ${set} drop`,
      ]);
    };
    for (const a of side) await cut(a, other);
    for (const b of other) await cut(b, side);
  }

  /** One-way loss: `at` drops what it receives from `from` (its own packets still go out). */
  async dropFrom(at: string, from: readonly string[]): Promise<void> {
    const addrs = from.map((p) => this.host(p).addr);
    if (addrs.length === 0) return;
    await this.addRules(at, [`add rule inet ${this.tableName} input iifname "eth0" ip saddr { ${addrs.join(", ")} } drop`]);
  }

  /** Drops UDP to and from `port` between `name` and `peers` only (a cut heartbeat path; NATS and
   *  everything else still flow). Multicast is matched by the sender's address on input. */
  async dropUdpPort(name: string, peers: readonly string[], port: number): Promise<void> {
    const set = `{ ${peers.map((p) => this.host(p).addr).join(", ")} }`;
    await this.addRules(name, [
      `add rule inet ${this.tableName} input iifname "eth0" ip saddr ${set} udp dport ${port} drop`,
      `add rule inet ${this.tableName} output oifname "eth0" ip daddr ${set} udp dport ${port} drop`,
    ]);
  }

  /** Drops about `percent`% of the packets in and out of `name`'s eth0, at random. */
  async loss(name: string, percent: number): Promise<void> {
    if (!(percent >= 0 && percent <= 100)) throw new Error(`lab: loss percent ${percent} is not 0..100`);
    await this.addRules(name, [
      `add rule inet ${this.tableName} input iifname "eth0" numgen random mod 100 < ${percent} drop`,
      `add rule inet ${this.tableName} output oifname "eth0" numgen random mod 100 < ${percent} drop`,
    ]);
  }

  /** Removes every rule this run put on `name`. */
  async heal(name: string): Promise<void> {
    if (!this.tables.has(name)) return;
    await must(["ip", "netns", "exec", this.host(name).ns, "nft", "delete", "table", "inet", this.tableName]);
    this.tables.delete(name);
  }

  async healAll(): Promise<void> {
    for (const name of [...this.tables.keys()]) {
      const r = await run(["ip", "netns", "exec", this.host(name).ns, "nft", "delete", "table", "inet", this.tableName]);
      if (r.code === 0 || !this.hostExists(name)) this.tables.delete(name);
    }
  }

  /** Hosts with rules in place now. */
  faultedHosts(): string[] {
    return [...this.tables.keys()];
  }

  private hostExists(name: string): boolean {
    try {
      this.host(name);
      return true;
    } catch {
      return false;
    }
  }

  /** One atomic nft script: (re)create the table and chains, then all of the host's rules. */
  private async addRules(name: string, more: string[]): Promise<void> {
    const rules = [...(this.tables.get(name) ?? []), ...more];
    const t = this.tableName;
    const script = [
      `table inet ${t} {}`,
      `delete table inet ${t}`,
      `table inet ${t} {`,
      `  chain input { type filter hook input priority 0; policy accept; }`,
      `  chain output { type filter hook output priority 0; policy accept; }`,
      `}`,
      ...rules,
      "",
    ].join("\n");
    await must(["ip", "netns", "exec", this.host(name).ns, "nft", "-f", "-"], 10_000, script);
    this.tables.set(name, rules);
  }
}
