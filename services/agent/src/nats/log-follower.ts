// Keeps this node's fold of the log current: reads from where the fold stands and follows, resuming
// after any NATS outage. Each newly applied event is handed to `onEvent`.
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { applyEvent, type ClusterView } from "@vigil/shared/events/cluster-view";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import { readEvents } from "./event-reader.js";

export class LogFollower {
  private running = true;
  private done: Promise<void> | null = null;
  /** Resolves once the fold has caught up with the log as it stood when following began. */
  readonly caughtUp: Promise<void>;
  private markCaughtUp!: () => void;

  constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly view: ClusterView,
    private readonly log: Logger,
    private readonly onEvent: (e: VigilEvent) => void,
  ) {
    this.caughtUp = new Promise((r) => (this.markCaughtUp = r));
  }

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 1_000))]);
  }

  private async run(): Promise<void> {
    for (let attempt = 0; this.running; attempt++) {
      try {
        // Catch up first (ends at the present end), then follow.
        for await (const { seq, event } of readEvents(this.nc, this.cluster, { follow: false, fromSeq: this.view.lastSeq + 1 }))
          if (applyEvent(this.view, event, seq)) this.onEvent(event);
        this.markCaughtUp();
        for await (const { seq, event } of readEvents(this.nc, this.cluster, { follow: true, fromSeq: this.view.lastSeq + 1 })) {
          if (!this.running) break;
          if (applyEvent(this.view, event, seq)) this.onEvent(event);
        }
      } catch (e) {
        if (!this.running || this.nc.isClosed()) return;
        if (attempt % 10 === 0) this.log.warn({ err: (e as Error).message }, "following the event log failed; retrying");
        await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * (attempt + 1))));
      }
    }
  }
}
