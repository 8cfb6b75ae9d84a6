// A process the lab started (nats-server, an agent, a log tail): its pid, its log file, and the ways
// a test may stop it. Only this pid (and its own process group) is ever signalled.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { forgetPid, rememberPid } from "./exit-cleanup.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LabProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  readonly child: ChildProcess;

  /**
   * Starts argv. stderr (and stdout unless `pipeStdout`) go to `logFile`. `detached` puts the child
   * in its own process group, so a terminal's Ctrl-C reaches only us and we tear down in order.
   */
  constructor(
    readonly name: string,
    argv: readonly string[],
    readonly logFile: string,
    opts: { pipeStdout?: boolean; env?: NodeJS.ProcessEnv } = {},
  ) {
    const [cmd, ...args] = argv;
    if (!cmd) throw new Error(`lab: empty command for ${name}`);
    const fd = openSync(logFile, "a");
    try {
      this.child = spawn(cmd, args, {
        stdio: ["ignore", opts.pipeStdout ? "pipe" : fd, fd],
        detached: true,
        env: opts.env ?? process.env,
      });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`lab: could not start ${name}: ${argv.join(" ")}`);
    this.pid = this.child.pid;
    rememberPid(this.pid);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        forgetPid(this.pid);
        resolve(this.exit);
      });
      this.child.once("error", () => {
        this.exit = { code: 127, signal: null };
        forgetPid(this.pid);
        resolve(this.exit);
      });
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* exited between the check and the kill */
    }
  }

  /** SIGTERM, then SIGKILL (to its process group too) if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<Exit> {
    if (!this.alive) return this.exit as Exit;
    this.signal("SIGCONT"); // a stopped process cannot act on SIGTERM
    this.signal("SIGTERM");
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === "timeout") return this.kill9();
    this.killGroup();
    return this.exited;
  }

  /** SIGKILL, no grace: a crash. */
  async kill9(): Promise<Exit> {
    if (this.alive) {
      this.signal("SIGKILL");
      this.killGroup();
    }
    return this.exited;
  }

  /** The last `lines` lines of its log, for a failure message. */
  logTail(lines = 40): string {
    try {
      const all = readFileSync(this.logFile, "utf8").trimEnd().split("\n");
      return all.slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Children it started (same process group) go with it. */
  private killGroup(): void {
    try {
      process.kill(-this.pid, "SIGKILL");
    } catch {
      /* group already empty */
    }
  }
}
