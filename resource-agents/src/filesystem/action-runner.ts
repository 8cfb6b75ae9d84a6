// The imperative edge every disk/NFS agent shares: one action has one deadline (OCF's per-action
// timeout), and each command it runs gets only what is left of it. Commands may be prefixed by a
// wrapper (e.g. `nsenter -t PID -m`) so an agent acts inside a node's own mount namespace in the lab,
// and PATH may be extended (tests put the named stand-ins in `test/stand-ins` first).
import { OCF, type ActionOptions, type ActionResult } from "../agent-interface.js";
import { runCommand, type CommandResult } from "../exec/run-command.js";

export interface CommandEnvOptions {
  /** Prefix for every command, e.g. `["nsenter", "-t", "1234", "-m"]`. */
  wrap?: readonly string[];
  /** Environment for the commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Directories searched before PATH. */
  path?: readonly string[];
}

export function commandEnv(opts: CommandEnvOptions): NodeJS.ProcessEnv {
  const base = opts.env ?? process.env;
  if (!opts.path || opts.path.length === 0) return base;
  return { ...base, PATH: [...opts.path, base.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":") };
}

/** One action in progress: its deadline and the commands it runs. */
export class ActionRunner {
  private readonly deadline: number;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly action: ActionOptions,
    private readonly cmd: CommandEnvOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + action.timeoutMs;
    this.env = commandEnv(cmd);
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0 || this.action.signal?.aborted === true;
  }

  /** Runs argv (wrapped) with what is left of the action's time. Never throws. */
  async run(argv: readonly string[]): Promise<CommandResult> {
    const left = this.remainingMs();
    if (left <= 0 || this.action.signal?.aborted) {
      return { code: -1, stdout: "", stderr: "action deadline passed", timedOut: true, signal: null };
    }
    const full = [...(this.cmd.wrap ?? []), ...argv];
    try {
      return await runCommand(full, { timeoutMs: left, env: this.env, signal: this.action.signal });
    } catch (err) {
      return { code: 126, stdout: "", stderr: String(err), timedOut: false, signal: null };
    }
  }

  /** Waits up to ms, never past the deadline; resolves early when the action is aborted. */
  sleep(ms: number): Promise<void> {
    const wait = Math.min(ms, this.remainingMs());
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.action.signal?.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, wait);
      this.action.signal?.addEventListener("abort", done, { once: true });
    });
  }

  get timeoutMs(): number {
    return this.action.timeoutMs;
  }
}

/** A short account of a failed command for messages: its stderr (or stdout), else its exit. */
export function describeFailure(argv: readonly string[], r: CommandResult): string {
  if (r.timedOut) return `\`${argv.join(" ")}\` timed out`;
  // The first lines carry the cause (drbdadm, mount and exportfs print it first); keep a few.
  const lines = (r.stderr.trim() || r.stdout.trim()).split("\n").filter((l) => l.trim() !== "");
  const text = lines.slice(0, 4).join("; ").slice(0, 600);
  const exit = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  return `\`${argv.join(" ")}\` failed (${exit})${text ? `: ${text}` : ""}`;
}

/** A command that could not be found is OCF's "not installed" (rc 5), anything else rc 1. */
export function commandFailure(argv: readonly string[], r: CommandResult, context: string): ActionResult {
  if (r.code === 127 && !r.timedOut) {
    return { rc: OCF.ERR_INSTALLED, message: `${context}: \`${argv[0]}\` is not installed (or not on PATH)` };
  }
  return { rc: OCF.ERR_GENERIC, message: `${context}: ${describeFailure(argv, r)}` };
}
