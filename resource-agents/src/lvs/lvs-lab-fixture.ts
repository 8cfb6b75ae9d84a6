// The lvs lab: four network namespaces built and torn down by a test. A client and the director share
// 198.51.100.0/24 (the VIP lives there); two real servers sit behind the director on 203.0.113.0/24
// with their default route via the director, as LVS-NAT needs. Every name carries a per-run id.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { runCommand } from "../exec/run-command.js";

export const VIP = "198.51.100.10";
export const REAL = { a: "203.0.113.11", b: "203.0.113.12" } as const;
export const REAL_PORT = 8080;
/** Client source addresses for the sh test (16 of them, so all landing on one server is 2^-15 likely). */
export const CLIENT_SOURCES = Array.from({ length: 16 }, (_, i) => `198.51.100.${20 + i}`);

async function sh(argv: string[]): Promise<void> {
  const r = await runCommand(argv, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${argv.join(" ")}: rc ${r.code}: ${r.stderr.trim()}`);
}

export interface LabProcess {
  child: ChildProcess;
  /** Resolves with the first stdout line that satisfies `pred`, or rejects after `timeoutMs`. */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

export class LvsLab {
  readonly id = `${process.pid % 100000}${Math.floor(Math.random() * 90 + 10)}`;
  readonly ns = { client: `lvc${this.id}`, director: `lvd${this.id}`, a: `lva${this.id}`, b: `lvb${this.id}` };
  private readonly procs = new Set<ChildProcess>();
  private created: string[] = [];

  async up(): Promise<void> {
    const { client, director, a, b } = this.ns;
    for (const n of [client, director, a, b]) {
      await sh(["ip", "netns", "add", n]);
      this.created.push(n);
      await sh(["ip", "-n", n, "link", "set", "lo", "up"]);
    }
    // Links are created inside the namespaces, never in the root one.
    await sh(["ip", "-n", director, "link", "add", "d0", "type", "veth", "peer", "name", "c0", "netns", client]);
    await sh(["ip", "-n", director, "link", "add", "br0", "type", "bridge"]);
    for (const [rs, side] of [[a, "da"], [b, "db"]] as const) {
      await sh(["ip", "-n", director, "link", "add", side, "type", "veth", "peer", "name", "r0", "netns", rs]);
      await sh(["ip", "-n", director, "link", "set", side, "master", "br0", "up"]);
    }
    await sh(["ip", "-n", director, "addr", "add", "198.51.100.1/24", "dev", "d0"]);
    await sh(["ip", "-n", director, "addr", "add", `${VIP}/24`, "dev", "d0"]);
    await sh(["ip", "-n", director, "addr", "add", "203.0.113.1/24", "dev", "br0"]);
    for (const dev of ["d0", "br0"]) await sh(["ip", "-n", director, "link", "set", dev, "up"]);
    await sh(["ip", "netns", "exec", director, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    await sh(["ip", "-n", client, "addr", "add", "198.51.100.2/24", "dev", "c0"]);
    for (const src of CLIENT_SOURCES) await sh(["ip", "-n", client, "addr", "add", `${src}/24`, "dev", "c0"]);
    await sh(["ip", "-n", client, "link", "set", "c0", "up"]);
    for (const [rs, ip] of [[a, REAL.a], [b, REAL.b]] as const) {
      await sh(["ip", "-n", rs, "addr", "add", `${ip}/24`, "dev", "r0"]);
      await sh(["ip", "-n", rs, "link", "set", "r0", "up"]);
      await sh(["ip", "-n", rs, "route", "add", "default", "via", "203.0.113.1"]);
    }
  }

  /** Starts `argv` inside namespace `ns`; `ip netns exec` execs it, so the pid is the program's own. */
  spawnIn(ns: string, argv: string[]): LabProcess {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["pipe", "pipe", "pipe"] });
    this.procs.add(child);
    const lines: Record<string, unknown>[] = [];
    const waiters = new Set<() => void>();
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    createInterface({ input: child.stdout! }).on("line", (l) => {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        lines.push({ text: l });
      }
      for (const w of waiters) w();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => {
        this.procs.delete(child);
        for (const w of waiters) w();
        resolve(code);
      }),
    );
    const waitFor = (pred: (line: Record<string, unknown>) => boolean, timeoutMs: number) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < lines.length; seen++) {
            const l = lines[seen]!;
            if (pred(l)) return finish(() => resolve(l));
          }
          if (child.exitCode !== null) finish(() => reject(new Error(`${argv.join(" ")} exited ${child.exitCode}: ${stderr}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting on ${argv.join(" ")}; stderr: ${stderr}`))), timeoutMs);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    return { child, waitFor, exited };
  }

  /** A real server: answers every path with its name (and /health with 200). */
  async realServer(which: "a" | "b"): Promise<LabProcess> {
    const code = `const http=require("node:http");const s=http.createServer((q,r)=>{r.setHeader("connection","close");r.end(${JSON.stringify(which)})});
s.listen(${REAL_PORT},${JSON.stringify(REAL[which])},()=>console.log(JSON.stringify({listening:true})));`;
    const p = this.spawnIn(this.ns[which], ["node", "-e", code]);
    await p.waitFor((l) => l.listening === true, 10_000);
    return p;
  }

  /** `count` sequential requests from the client to VIP:80, each on a new connection, cycling the
   *  source addresses; returns [source, body | "error:…"] pairs. Bounded: 2 s per request. */
  async requests(count: number, sources: string[] = ["198.51.100.2"]): Promise<[string, string][]> {
    const code = `const http=require("node:http");const [n,srcs]=JSON.parse(process.argv[1]);(async()=>{const out=[];
for(let i=0;i<n;i++){const src=srcs[i%srcs.length];out.push(await new Promise(res=>{const q=http.get({host:${JSON.stringify(VIP)},port:80,path:"/",agent:false,localAddress:src,timeout:2000},r=>{let b="";r.on("data",d=>b+=d);r.on("end",()=>res([src,b]))});
q.on("timeout",()=>q.destroy(new Error("timeout")));q.on("error",e=>res([src,"error:"+e.message]))}))}console.log(JSON.stringify({results:out}))})();`;
    const p = this.spawnIn(this.ns.client, ["node", "-e", code, JSON.stringify([count, sources])]);
    const line = await p.waitFor((l) => Array.isArray(l.results), 2_500 * count + 5_000);
    await p.exited;
    return line.results as [string, string][];
  }

  async nftTables(): Promise<string> {
    const r = await runCommand(["ip", "netns", "exec", this.ns.director, "nft", "list", "tables"], { timeoutMs: 5_000 });
    return r.stdout;
  }

  kill(p: LabProcess): Promise<number | null> {
    if (p.child.pid !== undefined && p.child.exitCode === null) p.child.kill("SIGKILL");
    return p.exited;
  }

  /** Kills every process this lab started (by pid) and deletes its namespaces. */
  async down(): Promise<void> {
    const gone = [...this.procs].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const t = setTimeout(resolve, 5_000);
          c.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          c.kill("SIGKILL");
        }),
    );
    await Promise.all(gone);
    for (const n of this.created.reverse()) await runCommand(["ip", "netns", "del", n], { timeoutMs: 10_000 });
    this.created = [];
  }
}
