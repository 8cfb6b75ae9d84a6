// An address must not outlive its agent's lease (DESIGN, Safety). IPaddr adds a leased address with a
// kernel lifetime (`valid_lft N preferred_lft N`) and hands it to an AddressLease, which renews it from
// somewhere that stops when the agent is paused or killed (the agent's lease worker thread): a frozen
// or dead agent's address is removed by the kernel itself within N seconds of the last renewal.
// Without a lease (IPaddr run on its own, as in its lab test) the address is permanent, as before.

export interface LeasedAddress {
  /** Command prefix the address lives behind (a network namespace in tests); [] on the agent's host. */
  wrap: readonly string[];
  ip: string;
  prefix: number;
  dev: string;
}

export interface AddressLease {
  /** The kernel lifetime (whole seconds, valid_lft = preferred_lft) of a leased address. */
  readonly lifetimeS: number;
  /** Keep renewing the address (it was just added or found with a lifetime). */
  hold(a: LeasedAddress): void;
  /** Stop renewing it. Resolves once no renewal of it can still reach the kernel: `ip addr change`
   *  re-creates a missing IPv4 address, so a renewal landing after `ip addr del` would bring it back. */
  release(a: Pick<LeasedAddress, "wrap" | "ip">): Promise<void>;
}

/** `ip addr add|change` arguments that give the address the lease's lifetime. */
export function lifetimeArgs(lifetimeS: number): string[] {
  return ["valid_lft", String(lifetimeS), "preferred_lft", String(lifetimeS)];
}

/** One `ip -batch` line renewing `a` for another `lifetimeS` seconds. */
export function renewalLine(a: LeasedAddress, lifetimeS: number): string {
  return ["address", "change", `${a.ip}/${a.prefix}`, "dev", a.dev, ...lifetimeArgs(lifetimeS)].join(" ");
}

/** Identity of a held address: one renewal per address and namespace. */
export const leaseKey = (a: Pick<LeasedAddress, "wrap" | "ip">) => `${a.wrap.join(" ")}|${a.ip}`;
