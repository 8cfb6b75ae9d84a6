// The NFS server service: `nfsserver[::service]` and heartbeat's `killnfsd[::service]`.
// Both start the distribution's NFS server (`service nfs-kernel-server start` by default, or any
// configured command) and read its LSB status. killnfsd follows heartbeat's script of that name: on
// stop it also runs `killall -9 nfsd`, because kernel nfsd threads can outlive the init script's
// stop and keep the exported filesystem busy, and then the Filesystem below cannot be unmounted.
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import { z } from "zod";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { ActionRunner, commandFailure, describeFailure, type CommandEnvOptions } from "../filesystem/action-runner.js";
import { parsePositionalArgs } from "../metadata.js";

export interface NfsServerOptions extends CommandEnvOptions {
  /** Overrides `service SERVICE start|stop|status` (e.g. systemctl, or a userspace server). */
  startCommand?: readonly string[];
  stopCommand?: readonly string[];
  /** LSB status semantics: 0 running, 1-3 not running, anything else unknown. */
  statusCommand?: readonly string[];
  /** Kill nfsd threads on stop (default: true for `killnfsd`, false for `nfsserver`). */
  killNfsd?: boolean;
  /** The kill (default `killall -9 nfsd`, as heartbeat's killnfsd). */
  killCommand?: readonly string[];
}

const meta = (name: "nfsserver" | "killnfsd"): AgentMetadata => ({
  name,
  description:
    name === "killnfsd"
      ? "heartbeat's killnfsd: starts the NFS server service; on stop stops it and kills nfsd (`killall -9 nfsd`)\n" +
        "so that the exported filesystem can be unmounted. `killnfsd[::service]`."
      : "The NFS server service: `nfsserver[::service]`; start/stop/status through the init system.",
  parameters: [{ name: "service", description: "The NFS server's init script / unit", required: false, default: "nfs-kernel-server" }],
  timeouts: { start: 40_000, stop: 40_000, monitor: 20_000 },
  monitorIntervalMs: 10_000,
});

export const NFSSERVER_META = meta("nfsserver");
export const KILLNFSD_META = meta("killnfsd");

const Args = z.object({ service: z.string().regex(/^[A-Za-z0-9_.@-]+$/, "must be a service name").optional() });

export function createNfsServer(spec: ResourceSpec, opts: NfsServerOptions = {}): Resource {
  return new NfsServerResource(spec, spec.agent === "killnfsd" ? "killnfsd" : "nfsserver", opts);
}

/** heartbeat's killnfsd: the NFS server with the nfsd kill on stop. */
export function createKillNfsd(spec: ResourceSpec, opts: NfsServerOptions = {}): Resource {
  return new NfsServerResource(spec, "killnfsd", opts);
}

class NfsServerResource implements Resource {
  readonly id: string;
  readonly meta: AgentMetadata;
  private readonly service: { ok: true; name: string } | { ok: false; result: ActionResult };

  constructor(
    spec: ResourceSpec,
    private readonly kind: "nfsserver" | "killnfsd",
    private readonly opts: NfsServerOptions,
  ) {
    this.id = spec.id;
    this.meta = meta(kind);
    const p = parsePositionalArgs(this.meta, Args, spec.args);
    this.service = p.ok ? { ok: true, name: p.value.service ?? "nfs-kernel-server" } : p;
  }

  validate(): ActionResult {
    return this.service.ok ? { rc: OCF.SUCCESS, message: "arguments valid" } : this.service.result;
  }

  private command(which: "start" | "stop" | "status", name: string): readonly string[] {
    const given = which === "start" ? this.opts.startCommand : which === "stop" ? this.opts.stopCommand : this.opts.statusCommand;
    return given ?? ["service", name, which];
  }

  async start(action: ActionOptions): Promise<ActionResult> {
    if (!this.service.ok) return this.service.result;
    const run = new ActionRunner(action, this.opts);
    const before = await this.status(run, this.service.name);
    if (before.rc === OCF.SUCCESS) return { rc: OCF.SUCCESS, message: `${this.service.name} already running` };
    if (before.rc !== OCF.NOT_RUNNING) return before;
    const argv = this.command("start", this.service.name);
    const r = await run.run(argv);
    if (r.code !== 0) return commandFailure(argv, r, `${this.kind}: start failed`);
    const after = await this.status(run, this.service.name);
    if (after.rc !== OCF.SUCCESS) return { rc: OCF.ERR_GENERIC, message: `${this.kind}: started, but status says: ${after.message}` };
    return { rc: OCF.SUCCESS, message: `${this.service.name} started` };
  }

  async stop(action: ActionOptions): Promise<ActionResult> {
    if (!this.service.ok) return this.service.result;
    const run = new ActionRunner(action, this.opts);
    const argv = this.command("stop", this.service.name);
    const r = await run.run(argv);
    let killed = "";
    if (this.opts.killNfsd ?? this.kind === "killnfsd") {
      const kill = this.opts.killCommand ?? ["killall", "-9", "nfsd"];
      const k = await run.run(kill);
      // killall exits 1 when no process matched: nothing left to kill is what stop wants.
      if (k.code === 127 && !k.timedOut) return commandFailure(kill, k, `${this.kind}: cannot kill nfsd`);
      if (k.code !== 0 && k.code !== 1) return { rc: OCF.ERR_GENERIC, message: `${this.kind}: ${describeFailure(kill, k)}` };
      killed = k.code === 0 ? " (nfsd killed)" : "";
    }
    const after = await this.status(run, this.service.name);
    if (after.rc === OCF.NOT_RUNNING) return { rc: OCF.SUCCESS, message: `${this.service.name} stopped${killed}` };
    if (r.code !== 0) return commandFailure(argv, r, `${this.kind}: stop failed`);
    return { rc: OCF.ERR_GENERIC, message: `${this.kind}: ${this.service.name} still running after stop: ${after.message}` };
  }

  async monitor(action: ActionOptions): Promise<ActionResult> {
    if (!this.service.ok) return this.service.result;
    return this.status(new ActionRunner(action, this.opts), this.service.name);
  }

  private async status(run: ActionRunner, name: string): Promise<ActionResult> {
    const argv = this.command("status", name);
    const r = await run.run(argv);
    if (r.code === 0) return { rc: OCF.SUCCESS, message: `${name} running` };
    // LSB init-script status: 1 dead with pid file, 2 dead with lock file, 3 not running.
    if (!r.timedOut && r.code >= 1 && r.code <= 3) return { rc: OCF.NOT_RUNNING, message: `${name} not running` };
    return commandFailure(argv, r, `${this.kind}: status unknown`);
  }
}
