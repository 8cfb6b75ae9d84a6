// The split-brain check that is hard to fool: from the client, ask "who has this address?" over and
// over with one ARP request per arping run, and record every MAC that answered that one request.
// Two different MACs answering one request means two nodes held the address at the same moment.
//
// Debian's arping is Thomas Habets' (not iputils'): `-d` exits 1 on replies from two MACs, but its
// exit code is also 1 on no reply at all, so the replies are parsed instead. `-c 1` sends one request,
// `-C 2` keeps listening for a second reply, `-w` bounds each run. A single run with many requests
// would not do: its replies carry a reply counter, not the request they answer, so a clean move between
// two requests would look like two owners. For the same reason runs go one at a time, from a host that
// sends the address no other traffic (the kernel's own ARP probes would be answered too).
import { createInterface } from "node:readline";
import { LabProcess } from "./lab-process.js";
import { inNs } from "./sh.js";

const WATCH = `
const { execFile } = require("node:child_process");
const [ip, dev, gapMs, waitS, parallel, maxMs, maxCount] = process.argv.slice(1).map((x, i) => i < 2 ? x : Number(x));
const t0 = Date.now();
let started = 0, running = 0, stopping = false;
const MAC = /from ([0-9a-f]{2}(?::[0-9a-f]{2}){5}) /gi;
function one() {
  started++; running++;
  const at = Date.now();
  execFile("arping", ["-d", "-c", "1", "-C", "2", "-w", String(waitS), "-i", dev, ip], { timeout: waitS * 1000 + 2000 }, (err, stdout) => {
    running--;
    const macs = [...new Set([...String(stdout).matchAll(MAC)].map((m) => m[1].toLowerCase()))];
    process.stdout.write(JSON.stringify({ at, macs }) + "\\n");
    if (stopping && running === 0) process.exit(0);
  });
}
const tick = setInterval(() => {
  if (stopping || started >= maxCount || Date.now() - t0 > maxMs) return stop();
  if (running < parallel) one();
}, gapMs);
function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  if (running === 0) process.exit(0);
  setTimeout(() => process.exit(0), waitS * 1000 + 3000).unref();
}
process.on("SIGTERM", stop);
`;

export interface ArpProbe {
  /** Wall-clock ms when the request went out. */
  at: number;
  /** Distinct MACs that answered this one request. */
  macs: string[];
}

export interface SplitBrainWatchOptions {
  /** ms between starting runs. */
  gapMs?: number;
  /** Seconds each run listens for a second reply. */
  waitS?: number;
  /** Runs in flight at once. Keep 1: every run's capture sees every reply reaching the host, so
   *  parallel runs would take each other's replies (sent a moment later, maybe by the new owner)
   *  for a second answer to their own request. */
  parallel?: number;
  maxMs?: number;
  maxCount?: number;
}

export class SplitBrainWatch {
  readonly proc: LabProcess;
  private readonly probes: ArpProbe[] = [];

  constructor(ns: string, vip: string, dev: string, logFile: string, opts: SplitBrainWatchOptions = {}) {
    const o = { gapMs: 10, waitS: 0.1, parallel: 1, maxMs: 15 * 60_000, maxCount: 50_000, ...opts };
    const argv = [process.execPath, "-e", WATCH, vip, dev, ...[o.gapMs, o.waitS, o.parallel, o.maxMs, o.maxCount].map(String)];
    this.proc = new LabProcess("split-brain-watch", inNs(ns, argv), logFile, { pipeStdout: true });
    createInterface({ input: this.proc.child.stdout! }).on("line", (l) => {
      try {
        this.probes.push(JSON.parse(l) as ArpProbe);
      } catch {
        /* a torn line at exit */
      }
    });
  }

  /** Requests answered by two or more MACs: split brain. */
  duplicates(since = 0): ArpProbe[] {
    return this.probes.filter((p) => p.at >= since && p.macs.length > 1);
  }

  /** How many requests got any answer since `since` (a watch that hears nothing proves nothing). */
  answered(since = 0): number {
    return this.probes.filter((p) => p.at >= since && p.macs.length > 0).length;
  }

  /** Resolves once some request since `since` was answered; false after `timeoutMs` (polled, bounded). */
  async waitHeard(since: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
      if (this.answered(since) > 0) return true;
      if (!this.proc.alive) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.answered(since) > 0;
  }

  /** Every MAC seen answering since `since` (one per owner the address had). */
  owners(since = 0): string[] {
    return [...new Set(this.probes.filter((p) => p.at >= since).flatMap((p) => p.macs))];
  }

  get count(): number {
    return this.probes.length;
  }

  stop(): Promise<unknown> {
    return this.proc.stop(3_000);
  }
}
