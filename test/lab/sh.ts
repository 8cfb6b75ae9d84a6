// The lab's one way to run a command: bounded in time, and a failure is an error that names the command.
import { runCommand, type CommandResult } from "@vigil/resource-agents/exec/run-command";

export type { CommandResult };

/** Runs argv; resolves whatever the exit code. */
export function run(argv: readonly string[], timeoutMs = 10_000, input?: string): Promise<CommandResult> {
  return runCommand(argv, input === undefined ? { timeoutMs } : { timeoutMs, input });
}

/** Runs argv and throws `LabCommandError` unless it exits 0. */
export async function must(argv: readonly string[], timeoutMs = 10_000, input?: string): Promise<string> {
  const r = await run(argv, timeoutMs, input);
  if (r.code !== 0) throw new LabCommandError(argv, r);
  return r.stdout;
}

export class LabCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    const why = r2s(result);
    super(`lab: \`${argv.join(" ")}\` failed: ${why}`);
  }
}

function r2s(r: CommandResult): string {
  if (r.timedOut) return "timed out";
  return `exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 500)}` : ""}`;
}

/** argv that runs `cmd` inside namespace `ns` (`ip netns exec` execs, so the pid is the command's). */
export const inNs = (ns: string, argv: readonly string[]): string[] => ["ip", "netns", "exec", ns, ...argv];

/** Awaits `check()` until it returns a value other than undefined; bounded in tries and time. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  const maxTries = Math.ceil(opts.timeoutMs / interval) + 1;
  for (let i = 0; i < maxTries && Date.now() <= deadline; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`lab: timed out after ${opts.timeoutMs} ms waiting for ${what}`);
}
