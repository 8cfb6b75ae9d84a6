// The I/O half of the checks: reading the agents' state dirs, the log to a file, and what a lab run
// may have left on the machine. The deciding half is invariants.ts.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { namespacePids } from "../lab/netns.js";
import { listNamespaces } from "../lab/netns.js";
import { run } from "../lab/sh.js";

/** Events in `stateDir`'s outbox not yet acknowledged by JetStream (outbox.jsonl minus outbox.acked). */
export function outboxPending(stateDir: string): number {
  const lines = (f: string) => (existsSync(join(stateDir, f)) ? readFileSync(join(stateDir, f), "utf8").split("\n").filter(Boolean) : []);
  const acked = new Set(lines("outbox.acked"));
  let pending = 0;
  for (const l of lines("outbox.jsonl")) {
    try {
      if (!acked.has((JSON.parse(l) as { id: string }).id)) pending++;
    } catch {
      /* a torn last line was never acknowledged to anyone; the outbox skips it too */
    }
  }
  return pending;
}

/** Runs argv with stdout into `file` (the whole log may exceed what a captured string holds). */
export function runToFile(argv: readonly string[], file: string, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const [cmd, ...args] = argv;
  const fd = openSync(file, "w");
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { stdio: ["ignore", fd, "pipe"], detached: true });
    closeSync(fd);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.once("exit", (code) => (clearTimeout(timer), resolve({ code, stderr })));
    child.once("error", (e) => (clearTimeout(timer), resolve({ code: 127, stderr: e.message })));
  });
}

/** A process's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for ours. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

export interface ProcessCensus {
  pids: Array<{ pid: number; start: string | undefined; cmd: string }>;
}

/** Every process living in the run's namespaces now (agents, nats-server, their children, probes). */
export async function processesIn(namespaces: readonly string[]): Promise<ProcessCensus> {
  const pids = [];
  for (const ns of namespaces) {
    for (const pid of await namespacePids(ns)) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 120);
      } catch {
        /* exited */
      }
      pids.push({ pid, start: startTime(pid), cmd });
    }
  }
  return { pids };
}

export async function rootNftTables(): Promise<string> {
  const r = await run(["nft", "list", "tables"]);
  return r.code === 0 ? r.stdout.trim() : `(nft list tables failed: ${r.stderr.trim()})`;
}

/** What a torn-down run left: its namespaces, its processes still alive, mounts naming it. */
export async function leftovers(prefix: string, census: ProcessCensus): Promise<string[]> {
  const out: string[] = [];
  const ns = (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));
  if (ns.length) out.push(`namespaces: ${ns.join(" ")}`);
  const alive = census.pids.filter((p) => p.start !== undefined && startTime(p.pid) === p.start);
  if (alive.length) out.push(`processes: ${alive.map((p) => `${p.pid} (${p.cmd})`).join("; ")}`);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(prefix));
  if (mounts.length) out.push(`mounts: ${mounts.map((l) => l.split(" ")[4]).join(" ")}`);
  return out;
}
