// A small cluster of real `vigil agent` processes on loopback (unicast heartbeats on 127.0.0.x, file
// Dummy resources, one real nats-server), for tests of what the operator sees: status and commands,
// and of the agent as a process (start-up errors, SIGHUP, SIGTERM). The one place test/agent starts
// nats-server and agents and writes their configuration.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startTestNats, type TestNats } from "../../services/agent/test-support/nats-server.js";

const VIGIL = join(import.meta.dirname, "../../services/cli/bin/vigil.js");

export interface LoopbackOptions {
  cluster: string;
  nodes: readonly string[];
  /** haresources lines; `STATE(name)` in a line is replaced by a per-node Dummy state path. */
  haresources: string;
  /** More ha.cf lines; one whose directive is a default's (`initdead 1`) replaces that default. */
  extra?: readonly string[];
  /** ha.cf timing (default keepalive 100ms, warntime 300ms, deadtime 600ms). */
  timing?: { keepalive: string; warntime: string; deadtime: string; initdead: string };
}

/** A started agent: its process, its exit, and what it logged (pino JSON on stderr). */
export interface AgentProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

/** The parts of `vigil status --json` the tests read. */
export interface StatusJson {
  stale: boolean;
  nodes: { name: string; state: string }[];
  groups: { id: string; node: string | null; state: string; lastNode?: string | null; reason: string | null }[];
  quorum: Record<string, { has: boolean; members: string[] }>;
  lastChange: { seq: number; time: string; type: string } | null;
  warnings?: { type: string; text: string }[];
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMING = ["keepalive 100ms", "warntime 300ms", "deadtime 600ms", "initdead 2"];

export class LoopbackCluster {
  readonly dir: string;
  private readonly procs = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();
  private readonly ports = new Map<string, number>();

  private constructor(
    readonly o: LoopbackOptions,
    readonly nats: TestNats,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `vigil-${o.cluster}-`));
  }

  static async create(o: LoopbackOptions): Promise<LoopbackCluster> {
    const c = new LoopbackCluster(o, await startTestNats());
    for (const n of o.nodes) c.ports.set(n, await freePort());
    for (const node of o.nodes) {
      mkdirSync(c.configDir(node), { recursive: true });
      c.writeConfig(node);
      writeFileSync(join(c.configDir(node), "authkeys"), "auth 1\n1 sha256 loopback-secret\n");
      chmodSync(join(c.configDir(node), "authkeys"), 0o600);
    }
    return c;
  }

  /** NODE's ha.cf: loopback media to every peer, the defaults, and `extra` (the options' by default). */
  haCf(node: string, extra: readonly string[] = this.o.extra ?? []): string {
    const { nodes } = this.o;
    const addr = (n: string) => `127.0.0.${nodes.indexOf(n) + 1}:${this.ports.get(n)}`;
    const key = (line: string) => line.split(/\s+/)[0];
    const t = this.o.timing;
    const base = t ? [`keepalive ${t.keepalive}`, `warntime ${t.warntime}`, `deadtime ${t.deadtime}`, `initdead ${t.initdead}`] : DEFAULT_TIMING;
    const timing = base.filter((d) => !extra.some((e) => key(e) === key(d)));
    return [
      ...timing,
      `bind ${addr(node)}`,
      ...nodes.filter((p) => p !== node).map((p) => `ucast lo ${addr(p)}`),
      // A one-node cluster still needs a medium: one nobody listens on.
      ...(nodes.length === 1 ? [`ucast lo 127.0.0.2:${this.ports.get(node)}`] : []),
      `node ${nodes.join(" ")}`,
      `cluster ${this.o.cluster}`,
      ...extra,
      "",
    ].join("\n");
  }

  /** (Re)writes NODE's ha.cf and haresources (for a SIGHUP, or before a start). */
  writeConfig(node: string, o: { extra?: readonly string[]; haresources?: string } = {}): void {
    const d = this.configDir(node);
    writeFileSync(join(d, "ha.cf"), this.haCf(node, o.extra));
    const res = o.haresources ?? this.o.haresources;
    writeFileSync(join(d, "haresources"), res.replace(/STATE\((\w+)\)/g, (_m, name: string) => this.dummyState(name, node)));
  }

  configDir(node: string): string {
    return join(this.dir, `cfg-${node}`);
  }
  stateDir(node: string): string {
    return join(this.dir, `state-${node}`);
  }
  /** The file a Dummy resource `name` of `node` keeps its state in: it exists while it runs there. */
  dummyState(name: string, node: string): string {
    return join(this.dir, `${name}.${node}`);
  }

  /** Starts NODE's agent (again, after a stop): with this cluster's NATS, or with none given
   *  (`nats: false`: the agent starts its own local nats-server). */
  /** `natsUrl`: another server than the cluster's (one that does not answer, say). */
  start(node: string, o: { nats?: boolean; natsUrl?: string; env?: NodeJS.ProcessEnv } = {}): AgentProcess {
    return this.startAs(node, node, this.configDir(node), this.stateDir(node), o);
  }

  /** An agent for `node` from another config and state dir, tracked (stop, signal, logs) as `key`. */
  startAs(key: string, node: string, configDir: string, stateDir: string, o: { nats?: boolean; natsUrl?: string; env?: NodeJS.ProcessEnv } = {}): AgentProcess {
    const natsArgs = o.nats === false ? [] : ["--nats", o.natsUrl ?? this.nats.url];
    const c = spawn(process.execPath, [VIGIL, "agent", "--config", configDir, "--node", node, ...natsArgs, "--state-dir", stateDir], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, VIGIL_NATS: "", ...o.env },
    });
    this.logs.set(key, "");
    c.stderr!.on("data", (d: Buffer) => this.logs.set(key, (this.logs.get(key) ?? "").slice(-20_000) + d.toString()));
    this.procs.set(key, c);
    const exited = new Promise<number | null>((r) => c.once("exit", (code) => r(code)));
    return { child: c, exited, stderr: () => this.logs.get(key) ?? "" };
  }

  /** Sends NODE's agent a signal (SIGHUP: reload) without waiting. */
  signal(node: string, signal: NodeJS.Signals): void {
    this.procs.get(node)?.kill(signal);
  }

  /** SIGTERM (or SIGKILL) the agent and wait for it to exit (bounded). */
  async stop(node: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const c = this.procs.get(node);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once("exit", () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(t);
  }

  /** `vigil ARGS --nats URL --cluster NAME`. */
  vigil(args: readonly string[], o: { nats?: string; timeoutMs?: number } = {}): RunResult {
    const r = spawnSync(process.execPath, [VIGIL, ...args, "--nats", o.nats ?? this.nats.url, "--cluster", this.o.cluster], {
      encoding: "utf8",
      timeout: o.timeoutMs ?? 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  statusJson(): StatusJson {
    const r = this.vigil(["status", "--json"]);
    if (r.status !== 0) throw new Error(`vigil status failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Polls `pred` (bounded in time) until it returns a truthy value. */
  async until<T>(what: string, pred: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      try {
        const v = await pred();
        if (v) return v as NonNullable<T>;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ""}\n${this.logTails()}`);
  }

  /** Events of the log as JSON lines (of one type, with `type`). */
  events(type?: string, o: { nats?: string } = {}): { seq: number; type: string; node: string; [k: string]: unknown }[] {
    const r = this.vigil(["log", "--json", ...(type ? ["--type", type] : [])], o);
    return r.stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
  }

  logTails(): string {
    return [...this.logs].map(([n, s]) => `--- ${n} ---\n${s.split("\n").slice(-15).join("\n")}`).join("\n");
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.stop(n)));
    await this.nats.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
