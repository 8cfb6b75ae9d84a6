// Removes what dead earlier lab runs left behind (a crashed test process cannot run its own teardown).
// A run is dead when the pid its prefix encodes no longer exists; live neighbours' runs are left alone.
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listNamespaces, namespacePids } from "./netns.js";
import { isPidAlive, parseRunPrefix } from "./run-prefix.js";
import { run } from "./sh.js";

export interface SweepReport {
  namespaces: string[];
  pids: number[];
  dirs: string[];
}

export async function sweepDeadRuns(): Promise<SweepReport> {
  const report: SweepReport = { namespaces: [], pids: [], dirs: [] };
  const dead = (name: string) => {
    const p = parseRunPrefix(name);
    return p !== undefined && p.pid !== process.pid && !isPidAlive(p.pid);
  };
  for (const ns of (await listNamespaces()).filter(dead)) {
    // Processes still inside a dead run's namespace were started by that run (agents, nats-server).
    for (const pid of await namespacePids(ns)) {
      try {
        process.kill(pid, "SIGKILL");
        report.pids.push(pid);
      } catch {
        /* gone */
      }
    }
    const r = await run(["ip", "netns", "del", ns]);
    if (r.code === 0) report.namespaces.push(ns);
  }
  for (const entry of readdirSync(tmpdir())) {
    if (!dead(entry)) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    report.dirs.push(entry);
  }
  return report;
}
