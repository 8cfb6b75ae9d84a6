// CPU time and resident memory of a process, from /proc (Linux): utime+stime from /proc/PID/stat
// (fields 14 and 15, in clock ticks) and VmRSS from /proc/PID/status. CPU% is over the sampled span.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

export interface UsageSample {
  /** utime + stime, in seconds. */
  cpuS: number;
  rssKb: number;
}

let clkTck: number | undefined;
function ticksPerSecond(): number {
  clkTck ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return clkTck;
}

/** Parses /proc/PID/stat: the command name is in parentheses and may hold spaces, so split after it. */
export function cpuTicksFromStat(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(rest[11]) + Number(rest[12]);
}

export function rssKbFromStatus(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : NaN;
}

export function sampleUsage(pid: number): UsageSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { cpuS: cpuTicksFromStat(stat) / ticksPerSecond(), rssKb: rssKbFromStatus(status) };
}

export interface IdleUsage {
  pid: number;
  seconds: number;
  cpuPercent: number;
  maxRssMb: number;
}

/** Samples `pid` once a second for `seconds` (bounded), returning mean CPU% and the largest RSS seen. */
export async function measureIdle(pid: number, seconds: number): Promise<IdleUsage> {
  const t0 = performance.now();
  const first = sampleUsage(pid);
  let maxRss = first.rssKb;
  let last = first;
  for (let i = 0; i < Math.ceil(seconds); i++) {
    await new Promise((r) => setTimeout(r, 1_000));
    last = sampleUsage(pid);
    maxRss = Math.max(maxRss, last.rssKb);
  }
  const spanS = (performance.now() - t0) / 1000;
  return { pid, seconds: spanS, cpuPercent: ((last.cpuS - first.cpuS) / spanS) * 100, maxRssMb: maxRss / 1024 };
}
