// heartbeat's IPaddr: a floating IPv4 address. start = `ip addr add` + gratuitous ARP, stop =
// `ip addr del`, monitor = the address is on an interface. Every action is idempotent, and every start
// announces, also of an address already in place (a restarted agent's, a retry): the neighbours may
// have learnt another node's MAC for it meanwhile. With a lease (the agent's), the address carries a
// kernel lifetime that the lease renews, so it does not outlive a killed or frozen agent.
// No `label` (heartbeat's eth0:0 alias): alias labels must fit in 15 characters with the interface name,
// and Linux needs none for a secondary address.
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { runCommand } from "../exec/run-command.js";
import { withDeadline } from "../metadata.js";
import { announce, detectArpingFlavour, type AnnounceReport, type Announcement } from "./arp-announcer.js";
import { findConnectedRoute, findHeldAddress, type Lookup } from "./ip-json.js";
import { lifetimeArgs, type AddressLease } from "./address-lease.js";
import { IPADDR_META, ipaddrConfigError, parseIpaddrArgs, type IpaddrConfig } from "./ipaddr-args.js";

export interface IpaddrOptions {
  /** Command prefix, e.g. `["ip","netns","exec","NS"]`, to act inside another network namespace. */
  wrap?: readonly string[];
  /** Gratuitous ARP burst: how many packets and how far apart (default 3 at 200 ms). */
  arpCount?: number;
  arpIntervalMs?: number;
  /** Renews the address's kernel lifetime while the agent lives (absent: a permanent address). */
  lease?: AddressLease;
}

export class IpaddrResource implements Resource {
  readonly meta: AgentMetadata = IPADDR_META;
  private readonly wrap: readonly string[];
  private readonly arpCount: number;
  private readonly arpIntervalMs: number;
  private readonly lease: AddressLease | undefined;
  private announcement: Announcement | undefined;

  constructor(
    readonly id: string,
    private readonly args: readonly string[],
    opts: IpaddrOptions = {},
  ) {
    this.wrap = opts.wrap ?? [];
    this.arpCount = Math.max(1, Math.min(opts.arpCount ?? 3, 20));
    this.arpIntervalMs = Math.max(10, Math.min(opts.arpIntervalMs ?? 200, 5_000));
    this.lease = opts.lease;
    // Learn which arping is installed now (cached), not during the first failover.
    void detectArpingFlavour(this.wrap);
  }

  validate(): ActionResult {
    const p = parseIpaddrArgs(this.args);
    return p.ok ? { rc: OCF.SUCCESS, message: `IPaddr ${p.value.ip}` } : p.result;
  }

  /** The last gratuitous ARP burst's outcome (for tests and the event log); undefined before any start. */
  lastAnnouncement(): Promise<AnnounceReport> | undefined {
    return this.announcement?.done;
  }

  async start(actionOpts: ActionOptions): Promise<ActionResult> {
    const opts = withDeadline(actionOpts);
    const p = parseIpaddrArgs(this.args);
    if (!p.ok) return p.result;
    const cfg = p.value;
    const target = await this.resolve(cfg, opts);
    if ("rc" in target) return target;
    const cidr = `${cfg.ip}/${target.prefix}`;
    const lifetime = this.lease ? lifetimeArgs(this.lease.lifetimeS) : [];
    // Add first, look only when that fails: a failover pays for one `ip` call, not two. "File exists"
    // (already held, a retry, a concurrent add) is success when the address is on the right device.
    const add = await runCommand(
      [...this.wrap, "ip", "-4", "addr", "add", cidr, "brd", cfg.bcast ?? "+", "dev", target.dev, ...lifetime],
      { timeoutMs: opts.timeoutMs, signal: opts.signal },
    );
    let prefix = target.prefix;
    let how = `added on ${target.dev}`;
    if (add.code !== 0) {
      const held = await this.held(cfg.ip, opts);
      if (!held.ok) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${cfg.ip}: ${held.error}` };
      if (held.found && held.found.dev !== target.dev) {
        return { rc: OCF.ERR_GENERIC, message: `IPaddr ${cfg.ip}: already held by ${held.found.dev}, not ${target.dev}` };
      }
      if (!held.found) return commandFailed(`ip addr add ${cidr} dev ${target.dev}`, add);
      prefix = held.found.prefix;
      how = `already on ${held.found.dev}`;
      if (this.lease) {
        // Found in place (an earlier life's, maybe permanent): from now on it lives on this lease.
        const renew = await runCommand([...this.wrap, "ip", "-4", "addr", "change", `${cfg.ip}/${prefix}`, "dev", target.dev, ...lifetime], {
          timeoutMs: opts.timeoutMs,
          signal: opts.signal,
        });
        if (renew.code !== 0) return commandFailed(`ip addr change ${cfg.ip}/${prefix} dev ${target.dev}`, renew);
      }
    }
    this.lease?.hold({ wrap: this.wrap, ip: cfg.ip, prefix, dev: target.dev });
    this.announcement?.cancel();
    const flavour = await detectArpingFlavour(this.wrap);
    this.announcement = announce(this.wrap, flavour, {
      ip: cfg.ip,
      dev: target.dev,
      count: this.arpCount,
      intervalMs: this.arpIntervalMs,
    });
    const leased = this.lease ? `, lease ${this.lease.lifetimeS} s` : "";
    return { rc: OCF.SUCCESS, message: `IPaddr ${cfg.ip}/${prefix} ${how}${leased}; gratuitous ARP x${this.arpCount} under way` };
  }

  async stop(actionOpts: ActionOptions): Promise<ActionResult> {
    const opts = withDeadline(actionOpts);
    const p = parseIpaddrArgs(this.args);
    if (!p.ok) return p.result;
    this.announcement?.cancel();
    const ip = p.value.ip;
    // Renewals end before the delete: a renewal after it would add the address again.
    await this.lease?.release({ wrap: this.wrap, ip });
    const held = await this.held(ip, opts);
    if (!held.ok) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${ip}: ${held.error}` };
    if (!held.found) return { rc: OCF.SUCCESS, message: `IPaddr ${ip}: not held` };
    const cidr = `${ip}/${held.found.prefix}`;
    const del = await runCommand([...this.wrap, "ip", "-4", "addr", "del", cidr, "dev", held.found.dev], {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
    if (del.code !== 0) {
      const again = await this.held(ip, opts);
      if (!(again.ok && !again.found)) return commandFailed(`ip addr del ${cidr} dev ${held.found.dev}`, del);
    }
    return { rc: OCF.SUCCESS, message: `IPaddr ${cidr} removed from ${held.found.dev}` };
  }

  async monitor(actionOpts: ActionOptions): Promise<ActionResult> {
    const opts = withDeadline(actionOpts);
    const p = parseIpaddrArgs(this.args);
    if (!p.ok) return p.result;
    const { ip, dev } = p.value;
    const held = await this.held(ip, opts);
    if (!held.ok) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${ip}: ${held.error}` };
    if (!held.found) return { rc: OCF.NOT_RUNNING, message: `IPaddr ${ip}: not held` };
    if (dev && held.found.dev !== dev) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${ip}: on ${held.found.dev}, not ${dev}` };
    return { rc: OCF.SUCCESS, message: `IPaddr ${ip}/${held.found.prefix} on ${held.found.dev}` };
  }

  private async held(ip: string, opts: ActionOptions): Promise<Lookup<{ dev: string; prefix: number }>> {
    const r = await runCommand([...this.wrap, "ip", "-j", "-4", "addr", "show"], { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.code !== 0) return { ok: false, error: describe("ip -j -4 addr show", r) };
    return findHeldAddress(r.stdout, ip);
  }

  /** Interface and prefix: as given, else from the connected route containing the address. */
  private async resolve(cfg: IpaddrConfig, opts: ActionOptions): Promise<{ dev: string; prefix: number } | ActionResult> {
    if (cfg.dev !== undefined && cfg.prefix !== undefined) return { dev: cfg.dev, prefix: cfg.prefix };
    const r = await runCommand([...this.wrap, "ip", "-j", "-4", "route", "show"], { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (r.code !== 0) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${cfg.ip}: ${describe("ip -j -4 route show", r)}` };
    const route = findConnectedRoute(r.stdout, cfg.ip);
    if (!route.ok) return { rc: OCF.ERR_GENERIC, message: `IPaddr ${cfg.ip}: ${route.error}` };
    const found = route.found;
    if (cfg.dev !== undefined) {
      // Interface given, prefix not: take the prefix of that interface's connected route.
      if (found && found.dev === cfg.dev) return { dev: cfg.dev, prefix: found.prefix };
      return ipaddrConfigError(`no connected route on ${cfg.dev} contains ${cfg.ip}; give it as IPaddr::${cfg.ip}/nn/${cfg.dev}`, "netmask");
    }
    if (!found) return ipaddrConfigError(`no interface has a connected route containing ${cfg.ip}; give it as IPaddr::${cfg.ip}/nn/dev`);
    return { dev: found.dev, prefix: cfg.prefix ?? found.prefix };
  }
}

function describe(what: string, r: { code: number; stderr: string; timedOut: boolean }): string {
  if (r.timedOut) return `${what} timed out`;
  if (r.code === 127) return `${what}: ip (iproute2) is not installed`;
  return `${what} failed (rc ${r.code}): ${r.stderr.trim().slice(0, 300)}`;
}

function commandFailed(what: string, r: { code: number; stderr: string; timedOut: boolean }): ActionResult {
  return { rc: r.code === 127 ? OCF.ERR_INSTALLED : OCF.ERR_GENERIC, message: `IPaddr: ${describe(what, r)}` };
}
