// Runs an external command (ip, arping, mount, an OCF script…) with a timeout, capturing its output.
// A timeout kills the whole process group, so a hung script cannot leave children behind.
import { spawn } from "node:child_process";

export interface CommandResult {
  /** Exit code; -1 when killed by a signal or by the timeout. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
  signal?: AbortSignal;
}

const MAX_OUTPUT = 256 * 1024;

export function runCommand(argv: readonly string[], opts: RunOptions): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error("runCommand: empty argv"));
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // own process group, so the timeout can kill the whole tree
    });
    const killTree = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, opts.timeoutMs);
    const onAbort = () => killTree();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString();
    });
    const finish = (r: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve(r);
    };
    child.on("error", (err: NodeJS.ErrnoException) =>
      // ENOENT: the program is not installed (OCF rc 5 territory; the caller decides).
      finish({ code: err.code === "ENOENT" ? 127 : 126, stdout, stderr: stderr + err.message, timedOut, signal: null }),
    );
    child.on("close", (code, signal) => finish({ code: code ?? -1, stdout, stderr, timedOut, signal }));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
