// Vigil agents in the lab: one per node, each in its node's namespace (or on loopback), with its own
// config dir, state dir and log file (pino JSON on stderr, kept for failure diagnosis).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LabProcess, type Exit } from "./lab-process.js";
import { vigilArgv } from "./repo-root.js";
import { inNs } from "./sh.js";

export interface AgentPlace {
  /** Node namespace; undefined on the loopback fallback. */
  ns?: string;
}

export interface StartAgentOptions {
  /** Config dir to use instead of the node's default one (`<lab>/cfg-<node>`). */
  configDir?: string;
  extraArgs?: readonly string[];
  /** Extra environment for the agent (and the resource agents it runs), over this process's own. */
  env?: Record<string, string>;
}

export class AgentSet {
  private readonly procs = new Map<string, LabProcess>();
  private readonly starts = new Map<string, number>();

  constructor(
    private readonly dir: string,
    private readonly placeOf: (node: string) => AgentPlace,
    private readonly natsUrls: () => string[],
  ) {}

  configDir(node: string): string {
    return join(this.dir, `cfg-${node}`);
  }

  stateDir(node: string): string {
    return join(this.dir, `state-${node}`);
  }

  logFile(node: string): string {
    return join(this.dir, `agent-${node}.log`);
  }

  /** Starts `vigil agent` for `node`; the state dir persists across restarts (its generation counter lives there). */
  start(node: string, opts: StartAgentOptions = {}): LabProcess {
    const running = this.procs.get(node);
    if (running?.alive) throw new Error(`lab: agent ${node} already runs (pid ${running.pid})`);
    mkdirSync(this.stateDir(node), { recursive: true });
    const argv = [
      ...vigilArgv(),
      "agent",
      "--config", opts.configDir ?? this.configDir(node),
      "--node", node,
      "--nats", this.natsUrls().join(","),
      "--state-dir", this.stateDir(node),
      ...(opts.extraArgs ?? []),
    ];
    const ns = this.placeOf(node).ns;
    const n = (this.starts.get(node) ?? 0) + 1;
    this.starts.set(node, n);
    const env = opts.env ? { env: { ...process.env, ...opts.env } } : {};
    const proc = new LabProcess(`agent-${node}#${n}`, ns ? inNs(ns, argv) : argv, this.logFile(node), env);
    this.procs.set(node, proc);
    return proc;
  }

  proc(node: string): LabProcess {
    const p = this.procs.get(node);
    if (!p) throw new Error(`lab: agent ${node} was never started`);
    return p;
  }

  pid(node: string): number {
    return this.proc(node).pid;
  }

  /** SIGTERM and await the exit (SIGKILL after `graceMs`). */
  stop(node: string, graceMs = 10_000): Promise<Exit> {
    return this.proc(node).stop(graceMs);
  }

  kill9(node: string): Promise<Exit> {
    return this.proc(node).kill9();
  }

  sigstop(node: string): void {
    this.proc(node).signal("SIGSTOP");
  }

  sigcont(node: string): void {
    this.proc(node).signal("SIGCONT");
  }

  nodes(): string[] {
    return [...this.procs.keys()];
  }

  pids(): number[] {
    return [...this.procs.values()].filter((p) => p.alive).map((p) => p.pid);
  }

  /** Every agent's log tail, for a failing test's message. */
  logTails(lines = 30): string {
    return [...this.procs.entries()]
      .map(([node, p]) => `--- agent ${node} (pid ${p.pid}, ${p.alive ? "running" : "exited"}) ---\n${p.logTail(lines)}`)
      .join("\n");
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop(graceMs)));
  }
}
