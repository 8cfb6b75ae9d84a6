// The NATS cluster as a two-node witness: it counts only while a round trip to NATS succeeded within
// the lease (warntime). The client's own disconnect detection takes seconds (ping interval), far
// longer than a peer needs to call this node dead; without a fresh round trip an isolated node would
// keep its groups while its peer takes them over.
import type { NatsConnection } from "@nats-io/transport-node";

export class NatsWitness {
  private lastOk = -Infinity;
  private inFlight = false;
  private timer: NodeJS.Timeout | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly leaseMs: number,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(onChange?: (reachable: boolean) => void): void {
    let was = this.reachable();
    this.timer = setInterval(() => {
      const is = this.reachable();
      if (is !== was) onChange?.(is);
      was = is;
      if (this.inFlight || this.nc.isClosed()) return;
      this.inFlight = true;
      const sent = this.now();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), this.leaseMs).unref());
      Promise.race([this.nc.flush(), timeout])
        .then(() => {
          this.lastOk = Math.max(this.lastOk, sent);
          // Report the lease's end the moment it comes, not at the next poll.
          if (this.leaseTimer) clearTimeout(this.leaseTimer);
          this.leaseTimer = setTimeout(() => {
            if (!this.reachable()) onChange?.(false);
          }, this.lastOk + this.leaseMs - this.now() + 1);
          this.leaseTimer.unref();
        })
        .catch(() => {})
        .finally(() => (this.inFlight = false));
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
  }

  /** A round trip sent less than a lease ago came back. */
  reachable(): boolean {
    return this.now() - this.lastOk < this.leaseMs;
  }
}
