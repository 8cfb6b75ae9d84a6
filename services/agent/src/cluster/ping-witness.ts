// heartbeat's `ping` nodes as quorum witnesses for two-node clusters: each is probed with one ICMP
// echo (`ping -c 1`) every interval; the witness answers while any ping node answered within the
// last `freshMs`. Probes never overlap, and each is bounded by ping's own deadline.
import { runCommand } from "@vigil/resource-agents/exec/run-command";

export interface PingWitnessOptions {
  nodes: readonly string[];
  intervalMs?: number;
  freshMs?: number;
  now?: () => number;
}

export class PingWitness {
  private lastAnswer = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private probing = false;
  private readonly intervalMs: number;
  private readonly freshMs: number;
  private readonly now: () => number;

  constructor(private readonly o: PingWitnessOptions) {
    this.intervalMs = o.intervalMs ?? 1_000;
    this.freshMs = o.freshMs ?? 3 * this.intervalMs;
    this.now = o.now ?? Date.now;
  }

  start(onChange?: (answering: boolean) => void): void {
    if (this.o.nodes.length === 0) return;
    let was = this.answering();
    const round = async () => {
      if (this.probing) return;
      this.probing = true;
      try {
        await this.probeOnce();
      } finally {
        this.probing = false;
      }
      const is = this.answering();
      if (is !== was) onChange?.(is);
      was = is;
    };
    void round();
    this.timer = setInterval(() => void round(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One echo to every ping node, in parallel; returns the nodes that answered. */
  async probeOnce(): Promise<string[]> {
    const waitS = String(Math.max(1, Math.ceil(this.intervalMs / 1000)));
    const results = await Promise.all(
      this.o.nodes.map(async (addr) => {
        const r = await runCommand(["ping", "-n", "-q", "-c", "1", "-W", waitS, addr], { timeoutMs: this.intervalMs + 2_000 });
        if (r.code === 0) this.lastAnswer.set(addr, this.now());
        return r.code === 0 ? addr : null;
      }),
    );
    return results.filter((a): a is string => a !== null);
  }

  answering(): boolean {
    const now = this.now();
    return [...this.lastAnswer.values()].some((t) => now - t <= this.freshMs);
  }
}
