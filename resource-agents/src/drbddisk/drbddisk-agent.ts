// heartbeat's drbddisk: `drbddisk::resource`. start = `drbdadm primary`, retried (heartbeat's script
// tried 6 times a second apart, in case deadtime is shorter than DRBD's own ping timeout and the
// peer is not yet seen gone); stop = `drbdadm secondary`, retried 3 times; monitor = the local role.
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import { z } from "zod";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { ActionRunner, commandFailure, describeFailure, type CommandEnvOptions } from "../filesystem/action-runner.js";
import { parsePositionalArgs } from "../metadata.js";
import { parseDrbdRole, parseDrbdStatus } from "./drbd-output.js";

export const DRBDDISK_META: AgentMetadata = {
  name: "drbddisk",
  description:
    "Makes this node DRBD Primary for a resource: `drbddisk::resource`.\n" +
    "start runs `drbdadm primary` (retried), stop `drbdadm secondary`, monitor reads `drbdadm role`.",
  parameters: [{ name: "resource", description: "DRBD resource name as in drbd.conf (not `all`)", required: true }],
  timeouts: { start: 30_000, stop: 30_000, monitor: 20_000 },
  monitorIntervalMs: 10_000,
};

export interface DrbddiskOptions extends CommandEnvOptions {
  /** `drbdadm primary` attempts (default 6, as heartbeat's drbddisk). */
  startTries?: number;
  /** `drbdadm secondary` attempts (default 3, as heartbeat's drbddisk). */
  stopTries?: number;
  /** Pause between attempts (default 1000 ms). */
  retryDelayMs?: number;
}

// drbd.conf resource names: no whitespace or shell/config punctuation.
const Args = z.object({
  resource: z
    .string()
    .regex(/^[A-Za-z0-9_.+-]+$/, "must be a DRBD resource name (letters, digits, _ . + -)")
    .refine((r) => r !== "all", "must name one resource: `all` has no single role to monitor"),
});

type Role = { kind: "primary" } | { kind: "secondary"; detail: string } | { kind: "unknown"; result: ActionResult };

export function createDrbddisk(spec: ResourceSpec, opts: DrbddiskOptions = {}): Resource {
  return new DrbddiskResource(spec, opts);
}

class DrbddiskResource implements Resource {
  readonly id: string;
  readonly meta = DRBDDISK_META;
  private readonly res: { ok: true; name: string } | { ok: false; result: ActionResult };

  constructor(
    spec: ResourceSpec,
    private readonly opts: DrbddiskOptions,
  ) {
    this.id = spec.id;
    const p = parsePositionalArgs(DRBDDISK_META, Args, spec.args);
    this.res = p.ok ? { ok: true, name: p.value.resource } : p;
  }

  validate(): ActionResult {
    return this.res.ok ? { rc: OCF.SUCCESS, message: "arguments valid" } : this.res.result;
  }

  async start(action: ActionOptions): Promise<ActionResult> {
    if (!this.res.ok) return this.res.result;
    const run = new ActionRunner(action, this.opts);
    const before = await this.role(run);
    if (before.kind === "primary") return { rc: OCF.SUCCESS, message: `${this.res.name} already Primary` };
    if (before.kind === "unknown" && before.result.rc === OCF.ERR_INSTALLED) return before.result;
    return this.retry(run, "primary", this.opts.startTries ?? 6, (r) => r.kind === "primary");
  }

  async stop(action: ActionOptions): Promise<ActionResult> {
    if (!this.res.ok) return this.res.result;
    const run = new ActionRunner(action, this.opts);
    const before = await this.role(run);
    if (before.kind === "secondary") return { rc: OCF.SUCCESS, message: `${this.res.name} not Primary (${before.detail})` };
    if (before.kind === "unknown" && before.result.rc === OCF.ERR_INSTALLED) return before.result;
    return this.retry(run, "secondary", this.opts.stopTries ?? 3, (r) => r.kind === "secondary");
  }

  async monitor(action: ActionOptions): Promise<ActionResult> {
    if (!this.res.ok) return this.res.result;
    const r = await this.role(new ActionRunner(action, this.opts));
    if (r.kind === "primary") return { rc: OCF.SUCCESS, message: `${this.res.name} is Primary` };
    if (r.kind === "secondary") return { rc: OCF.NOT_RUNNING, message: `${this.res.name} is ${r.detail}` };
    return r.result;
  }

  private async retry(run: ActionRunner, role: "primary" | "secondary", tries: number, done: (r: Role) => boolean): Promise<ActionResult> {
    const name = (this.res as { name: string }).name;
    const argv = ["drbdadm", role, name];
    let last = "";
    for (let attempt = 1; attempt <= Math.max(1, tries); attempt++) {
      const r = await run.run(argv);
      if (r.code === 127 && !r.timedOut) return commandFailure(argv, r, "drbddisk");
      if (r.code === 0) {
        const now = await this.role(run);
        if (done(now)) return { rc: OCF.SUCCESS, message: `${name} is ${role === "primary" ? "Primary" : "Secondary"}${attempt > 1 ? ` (attempt ${attempt})` : ""}` };
        last = `\`${argv.join(" ")}\` returned 0 but the role did not change`;
      } else {
        last = describeFailure(argv, r);
      }
      if (attempt < tries) await run.sleep(this.opts.retryDelayMs ?? 1000);
      if (run.expired()) break;
    }
    return { rc: OCF.ERR_GENERIC, message: `drbddisk: ${name}: ${last}` };
  }

  /** The local role. When unsure, heartbeat's drbddisk reported the resource as possibly running,
   *  so that a failed stop leads to recovery rather than a second Primary: unknown is an error here. */
  private async role(run: ActionRunner): Promise<Role> {
    const name = (this.res as { name: string }).name;
    const argv = ["drbdadm", "role", name];
    const r = await run.run(argv);
    if (r.code === 127 && !r.timedOut) return { kind: "unknown", result: commandFailure(argv, r, "drbddisk") };
    const reading = r.code === 0 ? parseDrbdRole(r.stdout) : undefined;
    if (reading) return reading.local === "Primary" ? { kind: "primary" } : { kind: "secondary", detail: reading.local };
    // Second opinion: DRBD 9's status, as heartbeat's script fell back to /proc/drbd.
    const st = await run.run(["drbdadm", "status", name]);
    const mine = st.code === 0 ? parseDrbdStatus(st.stdout).find((s) => s.name === name) : undefined;
    if (mine?.role === "Primary") return { kind: "primary" };
    if (mine?.role === "Secondary") return { kind: "secondary", detail: "Secondary" };
    const text = `${r.stdout}\n${r.stderr}\n${st.stderr}`;
    // A resource the kernel does not know (down) cannot be Primary.
    if (/No such resource|Unconfigured/i.test(text)) return { kind: "secondary", detail: "down (not configured in the kernel)" };
    if (/not defined in your config/i.test(text)) {
      return { kind: "unknown", result: { rc: OCF.ERR_CONFIGURED, message: `drbddisk: resource ("${name}"): not defined in drbd.conf` } };
    }
    return { kind: "unknown", result: { rc: OCF.ERR_GENERIC, message: `drbddisk: cannot tell the role of ${name}: ${describeFailure(argv, r)}` } };
  }
}
