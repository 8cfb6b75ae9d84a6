// heartbeat's `ping` nodes as quorum witnesses for two-node clusters. One long-running `ping` per
// ping node sends an echo every interval; the witness answers while a reply arrived within the lease
// (warntime), the same lease that peers' heartbeats get. A `ping` that exits is restarted after a
// pause, so a missing route or a bad address never turns into a busy loop.
import { spawn, type ChildProcess } from "node:child_process";
import { nodeTimers, type TimerId, type Timers } from "./timers.js";

export interface PingWitnessOptions {
  nodes: readonly string[];
  intervalMs: number;
  leaseMs: number;
  now?: () => number;
  /** The lease's timers (Node's unless given: the simulator's queue, which also plays the ping child
   *  and feeds its replies to onLine). */
  timers?: Timers;
}

const RESTART_PAUSE_MS = 1_000;

export class PingWitness {
  private lastAnswer = -Infinity;
  private children = new Set<ChildProcess>();
  private stopped = false;
  private readonly now: () => number;
  private readonly timers: Timers;

  constructor(private readonly o: PingWitnessOptions) {
    this.now = o.now ?? (() => performance.now());
    this.timers = o.timers ?? nodeTimers;
  }

  /** Runs a `ping` per node, whose replies feed onLine, and reports changes (watch). */
  start(onChange?: (answering: boolean) => void): void {
    this.watch(onChange);
    for (const addr of this.o.nodes) this.run(addr);
  }

  /** The lease alone: `onChange` when a poll every interval sees answering() flip, and the moment the
   *  lease runs out. Replies come through onLine. */
  watch(onChange?: (answering: boolean) => void): void {
    this.onChange = onChange;
    if (!onChange) return;
    let was = this.answering();
    const t = this.timers.interval(() => {
      if (this.stopped) return this.timers.clear(t);
      const is = this.answering();
      if (is !== was) onChange(is);
      was = is;
    }, this.o.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.leaseTimer) this.timers.clear(this.leaseTimer);
    for (const c of this.children) c.kill("SIGTERM");
  }

  answering(): boolean {
    return this.now() - this.lastAnswer < this.o.leaseMs;
  }

  /** Feeds one line of ping's output; a reply line is an answer. Public for tests of the parsing. */
  onLine(line: string): void {
    if (!/ bytes from /.test(line)) return;
    this.lastAnswer = this.now();
    this.armLeaseEnd();
  }

  private leaseTimer: TimerId | null = null;
  private onChange: ((answering: boolean) => void) | undefined;

  /** The moment the lease runs out is reported then, not at the next poll: the poll's delay would
   *  come out of the time an isolated node has to stop its groups. */
  private armLeaseEnd(): void {
    if (!this.onChange) return;
    if (this.leaseTimer) this.timers.clear(this.leaseTimer);
    this.leaseTimer = this.timers.timeout(() => {
      if (!this.answering()) this.onChange?.(false);
    }, this.o.leaseMs + 1);
  }

  private run(addr: string): void {
    if (this.stopped) return;
    // -i below 0.2 s needs root, which the agent has; -W bounds each reply wait.
    const intervalS = (Math.max(10, this.o.intervalMs) / 1000).toFixed(3);
    const c = spawn("ping", ["-n", "-i", intervalS, "-W", "1", addr], { stdio: ["ignore", "pipe", "ignore"] });
    this.children.add(c);
    let buf = "";
    c.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const l of lines) this.onLine(l);
    });
    c.on("error", () => {});
    c.on("exit", () => {
      this.children.delete(c);
      if (!this.stopped) setTimeout(() => this.run(addr), RESTART_PAUSE_MS).unref();
    });
  }
}
