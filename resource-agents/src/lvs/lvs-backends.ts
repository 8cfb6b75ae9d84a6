// Where a virtual service is installed: IPVS through ipvsadm where the kernel has it, otherwise an
// nftables table. Both take the pure outputs of nft-ruleset.ts / ipvsadm-commands.ts and only run them.
import { existsSync } from "node:fs";
import { type CommandResult, runCommand, type RunOptions } from "../exec/run-command.js";
import { ipvsadmCommands, ipvsadmDelete, ipvsadmList, ipvsadmUpdate } from "./ipvsadm-commands.js";
import { nftDeleteScript, nftReplaceScript, nftUpdateScript, renderNftRuleset } from "./nft-ruleset.js";
import type { VirtualService } from "./virtual-service.js";

export type BackendName = "nftables" | "ipvs";
export type BackendChoice = BackendName | "auto";

export type CommandRunner = (argv: readonly string[], opts: RunOptions) => Promise<CommandResult>;

export type BackendResult = { ok: true } | { ok: false; notInstalled?: boolean; message: string };
export type Presence = { ok: true; present: boolean } | { ok: false; notInstalled?: boolean; message: string };

export interface LvsBackend {
  readonly name: BackendName;
  /** Where the service lives, for messages: the nft table or the IPVS service. */
  readonly where: string;
  /** Installs the service for these live servers, replacing whatever is there. */
  apply(live: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult>;
  /** Moves the installed service from one live set to the next. */
  update(prev: ReadonlySet<string>, next: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult>;
  /** Removes the service; succeeds when it is already gone. */
  remove(timeoutMs: number): Promise<BackendResult>;
  present(timeoutMs: number): Promise<Presence>;
}

/** `/proc/net/ip_vs` exists once the ip_vs module is loaded: keepalived's own test for IPVS. */
export function chooseBackend(choice: BackendChoice, hasIpvs: () => boolean = () => existsSync("/proc/net/ip_vs")): BackendName {
  if (choice !== "auto") return choice;
  return hasIpvs() ? "ipvs" : "nftables";
}

function failed(what: string, r: CommandResult): { ok: false; notInstalled?: boolean; message: string } {
  if (r.code === 127) return { ok: false, notInstalled: true, message: `${what}: program not installed` };
  const why = r.timedOut ? "timed out" : (r.stderr.trim() || r.stdout.trim()).slice(0, 400);
  return { ok: false, message: `${what} failed (rc ${r.code}): ${why}` };
}

export class NftBackend implements LvsBackend {
  readonly name = "nftables";
  readonly where: string;
  constructor(
    private readonly service: VirtualService,
    private readonly table: string,
    private readonly run: CommandRunner = runCommand,
  ) {
    this.where = `nft table ip ${table}`;
  }

  async apply(live: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult> {
    const script = nftReplaceScript(renderNftRuleset(this.service, live, this.table), this.table);
    const r = await this.run(["nft", "-f", "-"], { timeoutMs, input: script });
    return r.code === 0 ? { ok: true } : failed("nft -f", r);
  }

  async update(prev: ReadonlySet<string>, next: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult> {
    // Only the `vs` chain changes, in one transaction; established connections keep their conntrack NAT.
    const r = await this.run(["nft", "-f", "-"], { timeoutMs, input: nftUpdateScript(this.service, prev, next, this.table) });
    return r.code === 0 ? { ok: true } : failed("nft -f (update)", r);
  }

  async remove(timeoutMs: number): Promise<BackendResult> {
    const r = await this.run(["nft", "-f", "-"], { timeoutMs, input: nftDeleteScript(this.table) });
    return r.code === 0 ? { ok: true } : failed("nft delete table", r);
  }

  async present(timeoutMs: number): Promise<Presence> {
    const r = await this.run(["nft", "list", "table", "ip", this.table], { timeoutMs });
    if (r.code === 0) {
      const proto = this.service.protocol.toLowerCase();
      return { ok: true, present: r.stdout.includes(`ip daddr ${this.service.vip} ${proto} dport ${this.service.port} jump vs`) };
    }
    if (/No such file or directory/.test(r.stderr)) return { ok: true, present: false };
    return failed("nft list table", r);
  }
}

export class IpvsBackend implements LvsBackend {
  readonly name = "ipvs";
  readonly where: string;
  constructor(
    private readonly service: VirtualService,
    private readonly run: CommandRunner = runCommand,
  ) {
    this.where = `IPVS service ${service.protocol} ${service.vip}:${service.port}`;
  }

  private async runAll(cmds: string[][], timeoutMs: number): Promise<BackendResult> {
    for (const argv of cmds) {
      const r = await this.run(argv, { timeoutMs });
      if (r.code !== 0) return failed(argv.join(" "), r);
    }
    return { ok: true };
  }

  async apply(live: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult> {
    // `ipvsadm -A` refuses an existing service, so a leftover one (an agent restart) is removed first.
    const gone = await this.remove(timeoutMs);
    if (!gone.ok) return gone;
    return this.runAll(ipvsadmCommands(this.service, live), timeoutMs);
  }

  update(prev: ReadonlySet<string>, next: ReadonlySet<string>, timeoutMs: number): Promise<BackendResult> {
    return this.runAll(ipvsadmUpdate(this.service, prev, next), timeoutMs);
  }

  async remove(timeoutMs: number): Promise<BackendResult> {
    const p = await this.present(timeoutMs);
    if (!p.ok) return p;
    if (!p.present) return { ok: true };
    return this.runAll([ipvsadmDelete(this.service)], timeoutMs);
  }

  async present(timeoutMs: number): Promise<Presence> {
    const r = await this.run(ipvsadmList(this.service), { timeoutMs });
    if (r.code === 0) return { ok: true, present: true };
    // ipvsadm says "No such service" (rc 1) when the kernel has no such virtual service.
    if (/No such service|does not exist/i.test(r.stderr)) return { ok: true, present: false };
    return failed(ipvsadmList(this.service).join(" "), r);
  }
}
