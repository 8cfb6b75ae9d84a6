// nats-server inside the lab: one server, or a three-server JetStream cluster (R3 capable), each in
// a namespace of its own so a test can kill, restart or cut off one server at a time.
import { join } from "node:path";
import { mkdirSync, rmSync } from "node:fs";
import { LabProcess } from "./lab-process.js";
import { inNs, pollUntil, run } from "./sh.js";

export interface NatsPlace {
  /** Namespace the server runs in; undefined: the current one (the loopback fallback). */
  ns?: string;
  /** Address clients and routes use. */
  addr: string;
  clientPort: number;
  clusterPort: number;
  monitorPort: number;
}

export interface NatsServer {
  index: number;
  name: string;
  place: NatsPlace;
  storeDir: string;
  logFile: string;
  proc: LabProcess | undefined;
}

export class NatsLab {
  readonly servers: NatsServer[];

  constructor(
    places: NatsPlace[],
    private readonly dir: string,
    private readonly clusterName: string,
  ) {
    this.servers = places.map((place, i) => ({
      index: i,
      name: `s${i + 1}`,
      place,
      storeDir: join(dir, `nats-s${i + 1}`),
      logFile: join(dir, `nats-s${i + 1}.log`),
      proc: undefined,
    }));
  }

  /** Client URLs of every server, for `--nats`. */
  urls(): string[] {
    return this.servers.map((s) => `nats://${s.place.addr}:${s.place.clientPort}`);
  }

  /** Starts every server and waits until each has JetStream up and, for a cluster, a meta leader. */
  async start(timeoutMs = 20_000): Promise<void> {
    for (const s of this.servers) this.spawn(s);
    for (const s of this.servers) await this.waitReady(s.index, timeoutMs);
    if (this.servers.length > 1) await this.waitMetaLeader(timeoutMs);
  }

  /** SIGKILL: the server dies as in a crash; its store dir stays. */
  async kill(i: number): Promise<void> {
    const s = this.server(i);
    await s.proc?.kill9();
    s.proc = undefined;
  }

  /** Starts server i again on the same store dir and waits until it answers. */
  async restart(i: number, timeoutMs = 20_000): Promise<void> {
    const s = this.server(i);
    if (s.proc?.alive) throw new Error(`lab: nats ${s.name} is still running (pid ${s.proc.pid})`);
    this.spawn(s);
    await this.waitReady(i, timeoutMs);
  }

  /** Starts server i again on an empty store dir: its JetStream data is lost, as with a dead disk. */
  async restartEmpty(i: number, timeoutMs = 20_000): Promise<void> {
    const s = this.server(i);
    if (s.proc?.alive) throw new Error(`lab: nats ${s.name} is still running (pid ${s.proc.pid})`);
    rmSync(s.storeDir, { recursive: true, force: true });
    await this.restart(i, timeoutMs);
  }

  /** Index of the server leading `stream`'s raft group (a cluster), from `/jsz` of any live server. */
  async streamLeader(stream: string): Promise<number | undefined> {
    for (const s of this.servers) {
      if (!s.proc?.alive) continue;
      const url = `http://${s.place.addr}:${s.place.monitorPort}/jsz?accounts=true&streams=true`;
      const r = await run(this.wrap(s, ["curl", "-sf", "--max-time", "2", url]), 4_000);
      if (r.code !== 0) continue;
      try {
        const jsz = JSON.parse(r.stdout) as { account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string } }> }> };
        const leader = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []).find((d) => d.name === stream)?.cluster?.leader;
        const i = this.servers.findIndex((o) => `${this.clusterName}-${o.name}` === leader);
        if (i >= 0) return i;
      } catch {
        /* a partial answer while the server starts */
      }
    }
    return undefined;
  }

  /** Polls `/healthz?js-enabled-only=true` from inside the server's namespace (bounded). */
  async waitReady(i: number, timeoutMs = 20_000): Promise<void> {
    const s = this.server(i);
    const url = `http://${s.place.addr}:${s.place.monitorPort}/healthz?js-enabled-only=true`;
    await pollUntil(
      `nats ${s.name} healthz`,
      async () => {
        if (!s.proc?.alive) throw new Error(`lab: nats ${s.name} exited:\n${s.proc?.logTail(20) ?? ""}`);
        const r = await run(this.wrap(s, ["curl", "-sf", "--max-time", "1", url]), 3_000);
        return r.code === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** A cluster takes JetStream writes only once its meta group has elected a leader. */
  async waitMetaLeader(timeoutMs = 20_000): Promise<string> {
    return pollUntil(
      "a JetStream meta leader",
      async () => {
        for (const s of this.servers) {
          if (!s.proc?.alive) continue;
          const r = await run(
            this.wrap(s, ["curl", "-sf", "--max-time", "1", `http://${s.place.addr}:${s.place.monitorPort}/jsz`]),
            3_000,
          );
          if (r.code !== 0) continue;
          try {
            const leader = (JSON.parse(r.stdout) as { meta_cluster?: { leader?: string } }).meta_cluster?.leader;
            if (leader) return leader;
          } catch {
            /* partial answer while starting */
          }
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.proc?.stop(3_000)));
    for (const s of this.servers) s.proc = undefined;
  }

  pids(): number[] {
    return this.servers.flatMap((s) => (s.proc?.alive ? [s.proc.pid] : []));
  }

  server(i: number): NatsServer {
    const s = this.servers[i];
    if (!s) throw new Error(`lab: no nats server ${i} (have ${this.servers.length})`);
    return s;
  }

  private spawn(s: NatsServer): void {
    mkdirSync(s.storeDir, { recursive: true });
    const p = s.place;
    const argv = [
      "nats-server",
      "-n", `${this.clusterName}-${s.name}`,
      "-a", p.addr,
      "-p", String(p.clientPort),
      "-m", String(p.monitorPort),
      "-js",
      "-sd", s.storeDir,
    ];
    if (this.servers.length > 1) {
      const routes = this.servers
        .filter((o) => o !== s)
        .map((o) => `nats://${o.place.addr}:${o.place.clusterPort}`)
        .join(",");
      argv.push(
        "--cluster_name", this.clusterName,
        "--cluster", `nats://${p.addr}:${p.clusterPort}`,
        "--routes", routes,
      );
    }
    s.proc = new LabProcess(`nats-${s.name}`, this.wrap(s, argv), s.logFile);
  }

  private wrap(s: NatsServer, argv: string[]): string[] {
    return s.place.ns ? inNs(s.place.ns, argv) : argv;
  }

  get directory(): string {
    return this.dir;
  }
}
