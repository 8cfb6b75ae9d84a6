// "No false failover with both cores saturated by another process": the cluster idles while two
// busy loops (bounded by `timeout`, killed by pid) take both cores, and every late or dead peer,
// lost quorum and group move in the log during that time is counted. All should stay at zero.
import { spawn, type ChildProcess } from "node:child_process";
import type { VipCluster } from "../lab/vip-cluster.js";

export interface SaturatedResult {
  seconds: number;
  late: number;
  dead: number;
  quorumLost: number;
  groupStops: number;
}

export async function saturatedIdle(c: VipCluster, seconds: number, cores: number, progress: (s: string) => void): Promise<SaturatedResult> {
  const tail = c.lab.tail();
  const from = Date.now();
  const burners: ChildProcess[] = [];
  try {
    // Each loop in its own process group, so the whole group is killed (killing `timeout` alone would
    // leave its shell spinning); `timeout` bounds it should this process die first.
    for (let i = 0; i < cores; i++)
      burners.push(spawn("timeout", [String(seconds + 5), "sh", "-c", "while :; do :; done"], { stdio: "ignore", detached: true }));
    for (let s = 0; s < seconds; s += 10) {
      await new Promise((r) => setTimeout(r, Math.min(10, seconds - s) * 1000));
      progress(`  ${Math.min(s + 10, seconds)}/${seconds} s with ${cores} busy loops`);
    }
  } finally {
    for (const b of burners) {
      try {
        if (b.pid) process.kill(-b.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  const evs = tail.events().filter((e) => Date.parse(String(e.time)) >= from);
  await tail.stop();
  const count = (type: string) => evs.filter((e) => e.type === type).length;
  return { seconds, late: count("NodeLate"), dead: count("NodeDead"), quorumLost: count("QuorumLost"), groupStops: count("GroupStopping") };
}
