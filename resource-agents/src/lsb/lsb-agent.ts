// A resource that is neither built in nor OCF: heartbeat's lookup runs `/etc/ha.d/resource.d/NAME
// args… start|stop|status`, then `/etc/init.d/NAME start|stop|status`. heartbeat starts only what status
// says is stopped, and always runs stop (HeartbeatResourceAgent); a stop that fails while status says
// stopped is accepted, since some init scripts complain when stopping what is not running.
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { runCommand, type CommandResult } from "../exec/run-command.js";
import { argsError, withDeadline } from "../metadata.js";
import { heartbeatStatusRunning, lsbActionToOcf, lsbStatusToOcf } from "./status-reading.js";

export interface ScriptSearchPath {
  /** heartbeat resource.d directories, searched first. Default: /etc/ha.d/resource.d. */
  resourceDirs?: readonly string[];
  /** LSB init script directories, searched next. Default: /etc/init.d. */
  initDirs?: readonly string[];
}

export const DEFAULT_SEARCH_PATH: Required<ScriptSearchPath> = {
  resourceDirs: ["/etc/ha.d/resource.d"],
  initDirs: ["/etc/init.d"],
};

export type ScriptKind = "heartbeat" | "lsb";

export interface FoundScript {
  kind: ScriptKind;
  path: string;
}

const SCRIPT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;

/** heartbeat's lookup order for a bare resource name. */
export function findScript(name: string, search: ScriptSearchPath = {}): FoundScript | undefined {
  if (!SCRIPT_NAME.test(name)) return undefined;
  const dirs: [ScriptKind, readonly string[]][] = [
    ["heartbeat", search.resourceDirs ?? DEFAULT_SEARCH_PATH.resourceDirs],
    ["lsb", search.initDirs ?? DEFAULT_SEARCH_PATH.initDirs],
  ];
  for (const [kind, list] of dirs) {
    for (const dir of list) {
      const path = join(dir, name);
      if (isExecutable(path)) return { kind, path };
    }
  }
  return undefined;
}

export function scriptMetadata(name: string, kind: ScriptKind): AgentMetadata {
  return {
    name,
    description:
      kind === "heartbeat"
        ? `heartbeat resource script ${name}: \`${name}::arg::…\` runs it as \`${name} arg… start|stop|status\`; status prints "running" or "OK" when active`
        : `LSB init script ${name}: start|stop|status, status exit code 0 = running, 3 = not running`,
    parameters: [],
    timeouts: { start: 60_000, stop: 60_000, monitor: 30_000 },
    monitorIntervalMs: 30_000,
  };
}

export class ScriptResource implements Resource {
  readonly meta: AgentMetadata;

  constructor(
    readonly id: string,
    private readonly name: string,
    private readonly args: readonly string[],
    private readonly script: FoundScript,
    private readonly wrap: readonly string[] = [],
  ) {
    this.meta = scriptMetadata(name, script.kind);
  }

  validate(): ActionResult {
    if (!SCRIPT_NAME.test(this.name)) return argsError(this.name, "script", "not a plain script name");
    // LSB fixes $1 as the action, so an init script cannot take heartbeat-style arguments before it.
    if (this.script.kind === "lsb" && this.args.length > 0) {
      return argsError(this.name, `argument 1 ("${this.args[0]}")`, `init script ${this.script.path} takes no arguments`);
    }
    if (!isExecutable(this.script.path)) return { rc: OCF.ERR_INSTALLED, message: `${this.name}: ${this.script.path} is not installed (or not executable)` };
    return { rc: OCF.SUCCESS, message: `${this.name}: ${this.script.kind} script ${this.script.path}` };
  }

  async start(actionOpts: ActionOptions): Promise<ActionResult> {
    const opts = withDeadline(actionOpts);
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    const before = await this.monitor(opts);
    if (before.rc === OCF.SUCCESS) return { rc: OCF.SUCCESS, message: `${this.name}: already running` };
    const r = await this.run("start", opts);
    return this.actionResult("start", r, actionOpts);
  }

  async stop(actionOpts: ActionOptions): Promise<ActionResult> {
    const opts = withDeadline(actionOpts);
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    const r = await this.run("stop", opts);
    if (r.code !== 0 && !r.timedOut && !opts.signal?.aborted) {
      const after = await this.monitor(opts);
      if (after.rc === OCF.NOT_RUNNING) return { rc: OCF.SUCCESS, message: `${this.name}: stop rc ${r.code}, but status says stopped` };
    }
    return this.actionResult("stop", r, actionOpts);
  }

  async monitor(opts: ActionOptions): Promise<ActionResult> {
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    const r = await this.run("status", opts);
    if (r.timedOut) return { rc: OCF.ERR_GENERIC, message: `${this.name} status timed out after ${opts.timeoutMs} ms` };
    if (r.code === 127) return { rc: OCF.ERR_INSTALLED, message: `${this.name} status: ${r.stderr.trim()}` };
    const output = brief(r);
    if (this.script.kind === "heartbeat") {
      return heartbeatStatusRunning(r.stdout + "\n" + r.stderr)
        ? { rc: OCF.SUCCESS, message: `${this.name}: running (${output})` }
        : { rc: OCF.NOT_RUNNING, message: `${this.name}: stopped (${output})` };
    }
    const rc = lsbStatusToOcf(r.code);
    return { rc, message: `${this.name} status: LSB rc ${r.code}${output ? ` (${output})` : ""}` };
  }

  private run(action: string, opts: ActionOptions): Promise<CommandResult> {
    const args = this.script.kind === "heartbeat" ? this.args : [];
    return runCommand([...this.wrap, this.script.path, ...args, action], { timeoutMs: opts.timeoutMs, signal: opts.signal });
  }

  private actionResult(action: string, r: CommandResult, opts: ActionOptions): ActionResult {
    if (r.timedOut) return { rc: OCF.ERR_GENERIC, message: `${this.name} ${action} timed out after ${opts.timeoutMs} ms` };
    if (opts.signal?.aborted) return { rc: OCF.ERR_GENERIC, message: `${this.name} ${action} aborted` };
    if (r.code === 127) return { rc: OCF.ERR_INSTALLED, message: `${this.name} ${action}: ${r.stderr.trim()}` };
    const rc = r.code < 0 ? OCF.ERR_GENERIC : lsbActionToOcf(r.code);
    return { rc, message: `${this.name} ${action}: rc ${r.code}${brief(r) ? `: ${brief(r)}` : ""}` };
  }
}

function brief(r: CommandResult): string {
  return (r.stdout.trim() || r.stderr.trim()).split("\n").slice(-2).join(" | ").slice(0, 300);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
