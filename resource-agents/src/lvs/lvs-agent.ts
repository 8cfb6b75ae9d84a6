// The lvs resource: `lvs::NAME[::BACKEND]` in haresources. NAME is a virtual-service file in
// keepalived's virtual_server syntax: `<configDir>/NAME.conf` (default /etc/vigil/lvs), or a path when
// it contains a "/". BACKEND is auto (IPVS where the kernel has it, else nftables), nftables or ipvs.
//
// start = install the service for the servers believed alive + start the health checkers;
// stop = stop the checkers + remove the service (idempotent); monitor = the service is installed,
// with each server's health in the message. The checkers' sockets run in this process, so the agent
// must run in the director's network namespace.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import { formatConfigError } from "@vigil/shared/config/config-error";
import { type ActionOptions, type ActionResult, type AgentMetadata, OCF, type Resource } from "../agent-interface.js";
import { argsError, bindPositionalArgs } from "../metadata.js";
import { CheckRunner, type LiveChange } from "./check-runner.js";
import { type BackendChoice, chooseBackend, type CommandRunner, IpvsBackend, type LvsBackend, NftBackend } from "./lvs-backends.js";
import { parseLvsConfig } from "./lvs-config-parser.js";
import { nftTableName } from "./nft-ruleset.js";
import { type Prober, socketProber } from "./probes.js";
import type { VirtualService } from "./virtual-service.js";

export const DEFAULT_LVS_CONFIG_DIR = "/etc/vigil/lvs";

export const LVS_METADATA: AgentMetadata = {
  name: "lvs",
  description:
    "LVS director: a virtual service (VIP:port) balanced over real servers with keepalived-style health checks.\n" +
    "The service file uses keepalived's virtual_server syntax. Backends: IPVS (ipvsadm) where the kernel has it, nftables otherwise.",
  parameters: [
    {
      name: "service",
      description: `Virtual-service file: NAME for ${DEFAULT_LVS_CONFIG_DIR}/NAME.conf, or a path containing "/"`,
      required: true,
    },
    { name: "backend", description: "auto, nftables or ipvs", required: false, default: "auto" },
  ],
  timeouts: { start: 20_000, stop: 20_000, monitor: 10_000 },
  monitorIntervalMs: 10_000,
};

export interface LvsOptions {
  /** Where NAME.conf files live. */
  configDir?: string;
  /** Runs nft / ipvsadm (tests record the commands). */
  run?: CommandRunner;
  /** Runs a health check (tests fake the sockets). */
  prober?: Prober;
  /** Whether the kernel has IPVS; default: /proc/net/ip_vs exists. */
  hasIpvs?: () => boolean;
  /** nft table name; default vigil_lvs_<NAME>. */
  tableName?: string;
  /** Told of every health change after the backend has been updated (ok false: the update failed). */
  onLiveChange?: (change: LiveChange & { applied: BackendResultLike }) => void;
}

export type BackendResultLike = { ok: true } | { ok: false; message: string };

const BACKENDS: readonly BackendChoice[] = ["auto", "nftables", "ipvs"];

interface Running {
  service: VirtualService;
  backend: LvsBackend;
  runner: CheckRunner;
  /** The live set the backend last accepted. */
  applied: Set<string>;
  /** The last failed backend update, until one succeeds. */
  error: string | undefined;
  /** Serialises backend updates so they land in the order the checkers saw them. */
  queue: Promise<void>;
}

type Loaded = { ok: true; service: VirtualService; backend: BackendChoice; name: string } | { ok: false; result: ActionResult };

export class LvsResource implements Resource {
  readonly meta = LVS_METADATA;
  private running: Running | undefined;

  constructor(
    readonly id: string,
    private readonly args: readonly string[],
    private readonly opts: LvsOptions = {},
  ) {}

  validate(): ActionResult {
    const l = this.load();
    if (!l.ok) return l.result;
    const backend = chooseBackend(l.backend, this.opts.hasIpvs);
    if (backend === "nftables" && l.service.lbKind !== "NAT") {
      const msg = `lvs: ${l.service.file}: lb_kind ${l.service.lbKind} needs the IPVS backend; nftables forwards with NAT only`;
      return { rc: OCF.ERR_CONFIGURED, message: msg };
    }
    return { rc: OCF.SUCCESS, message: `lvs: ${l.service.vip}:${l.service.port} ${l.service.lbAlgo} on ${backend}` };
  }

  private load(): Loaded {
    const bound = bindPositionalArgs(this.meta, this.args);
    if (!bound.ok) return bound;
    const name = bound.named.service;
    if (name === undefined) return { ok: false, result: argsError("lvs", "service", "is required (lvs::NAME)") };
    const backend = (bound.named.backend ?? "auto") as BackendChoice;
    if (!BACKENDS.includes(backend)) {
      return { ok: false, result: argsError("lvs", `backend ("${backend}")`, `must be one of ${BACKENDS.join(", ")}`) };
    }
    if (!name.includes("/") && !/^[A-Za-z0-9_.-]+$/.test(name)) {
      return { ok: false, result: argsError("lvs", `service ("${name}")`, "must be a name of letters, digits, _ . - or a path") };
    }
    const file = name.includes("/") ? name : join(this.opts.configDir ?? DEFAULT_LVS_CONFIG_DIR, `${name}.conf`);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      // OCF: a missing configuration file is "not installed" on this node (rc 5).
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "missing" : code === "EACCES" ? "cannot be read (permission denied)" : (code ?? String(e));
      return { ok: false, result: { rc: OCF.ERR_INSTALLED, message: `lvs: service file ${file}: ${why}` } };
    }
    const parsed = parseLvsConfig(text, file);
    if (!parsed.ok) return { ok: false, result: { rc: OCF.ERR_CONFIGURED, message: parsed.errors.map(formatConfigError).join("\n") } };
    const base = name.includes("/") ? (name.split("/").pop() ?? name).replace(/\.conf$/, "") : name;
    return { ok: true, service: parsed.value, backend, name: base };
  }

  private backendFor(l: Extract<Loaded, { ok: true }>): LvsBackend {
    return chooseBackend(l.backend, this.opts.hasIpvs) === "ipvs"
      ? new IpvsBackend(l.service, this.opts.run)
      : new NftBackend(l.service, this.opts.tableName ?? nftTableName(l.name), this.opts.run);
  }

  async start(opts: ActionOptions): Promise<ActionResult> {
    if (this.running) {
      const m = await this.monitor(opts);
      if (m.rc === OCF.SUCCESS) return m;
      await this.stop(opts);
    }
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    const l = this.load();
    if (!l.ok) return l.result;
    const { service } = l;
    const backend = this.backendFor(l);
    const live = CheckRunner.initialLive(service);
    const applied = await backend.apply(live, opts.timeoutMs);
    if (!applied.ok) return { rc: applied.notInstalled ? OCF.ERR_INSTALLED : OCF.ERR_GENERIC, message: `lvs: ${applied.message}` };
    const runner = new CheckRunner(service, {
      prober: this.opts.prober ?? socketProber,
      onChange: (change) => this.onHealthChange(r, change, opts.timeoutMs),
    });
    const r: Running = { service, backend, runner, applied: live, error: undefined, queue: Promise.resolve() };
    this.running = r;
    r.runner.start();
    return { rc: OCF.SUCCESS, message: `lvs: ${service.vip}:${service.port} on ${backend.where}, live ${[...live].join(" ") || "none"}` };
  }

  private onHealthChange(r: Running, change: LiveChange, timeoutMs: number): void {
    r.queue = r.queue.then(async () => {
      if (this.running !== r) return; // stopped meanwhile: the service is being removed
      const next = new Set(change.live);
      // After a failed update (or with the table gone) the installed state is unknown: install it whole.
      let res = r.error === undefined ? await r.backend.update(r.applied, next, timeoutMs) : undefined;
      if (!res?.ok) res = await r.backend.apply(next, timeoutMs);
      if (res.ok) {
        r.applied = next;
        r.error = undefined;
      } else r.error = res.message;
      this.opts.onLiveChange?.({ ...change, applied: res.ok ? res : { ok: false, message: res.message } });
    });
  }

  async stop(opts: ActionOptions): Promise<ActionResult> {
    const r = this.running;
    this.running = undefined;
    if (r) {
      r.runner.stop();
      await r.queue; // let an update in flight land before the service is removed
      const res = await r.backend.remove(opts.timeoutMs);
      if (!res.ok) {
        this.running = r; // still installed: the caller must see the failure, and a retry can find it
        return { rc: OCF.ERR_GENERIC, message: `lvs: stop: ${res.message}` };
      }
      return { rc: OCF.SUCCESS, message: `lvs: removed ${r.backend.where}` };
    }
    // Not started by this agent: remove whatever a previous run may have left.
    const l = this.load();
    if (!l.ok) return { rc: OCF.SUCCESS, message: `lvs: not running (${l.result.message})` };
    const backend = this.backendFor(l);
    const res = await backend.remove(opts.timeoutMs);
    if (!res.ok) return { rc: res.notInstalled ? OCF.SUCCESS : OCF.ERR_GENERIC, message: `lvs: stop: ${res.message}` };
    return { rc: OCF.SUCCESS, message: `lvs: ${backend.where} not present` };
  }

  async monitor(opts: ActionOptions): Promise<ActionResult> {
    const r = this.running;
    if (!r) {
      const l = this.load();
      if (!l.ok) return { rc: OCF.NOT_RUNNING, message: `lvs: not running (${l.result.message})` };
      const backend = this.backendFor(l);
      const p = await backend.present(opts.timeoutMs);
      if (!p.ok) return { rc: OCF.NOT_RUNNING, message: `lvs: not running (${p.message})` };
      // Installed but nobody checks its real servers: a failure, so the manager restarts it cleanly.
      return p.present
        ? { rc: OCF.ERR_GENERIC, message: `lvs: ${backend.where} is installed but not health-checked by this agent` }
        : { rc: OCF.NOT_RUNNING, message: `lvs: ${backend.where} not present` };
    }
    const p = await r.backend.present(opts.timeoutMs);
    if (!p.ok) return { rc: OCF.ERR_GENERIC, message: `lvs: monitor: ${p.message}` };
    if (!p.present) return { rc: OCF.NOT_RUNNING, message: `lvs: ${r.backend.where} has disappeared` };
    if (r.error !== undefined) return { rc: OCF.ERR_GENERIC, message: `lvs: last backend update failed: ${r.error}` };
    const health = r.runner.health();
    const up = health.filter((h) => h.alive).length;
    const list = health.map((h) => `${h.server} ${h.alive ? "up" : `down (${h.detail})`}`).join("; ");
    return { rc: OCF.SUCCESS, message: `lvs: ${r.service.vip}:${r.service.port} on ${r.backend.where}, ${up}/${health.length} live: ${list}` };
  }
}

/** The factory the resource registry calls for `lvs::NAME[::BACKEND]`. */
export function createLvs(spec: ResourceSpec, opts: LvsOptions = {}): Resource {
  return new LvsResource(spec.id, spec.args, opts);
}
