// The local outbox: every event is appended (and fsynced) here before anything else happens, then
// published with its id as msgID and marked acknowledged. Nothing is lost while NATS elects a
// leader, restarts or is away; on restart the agent publishes whatever was never acknowledged.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync, truncateSync } from "node:fs";
import { dirname } from "node:path";
import { VigilEvent } from "@vigil/shared/events/vocabulary";

/** The outbox's order, without the files: events leave oldest first, and only the head can be
 *  acknowledged. Pure (the simulator's agents use it as their outbox). */
export class OutboxQueue {
  private readonly q: VigilEvent[] = [];

  append(e: VigilEvent): void {
    this.q.push(e);
  }

  head(): VigilEvent | undefined {
    return this.q[0];
  }

  get pending(): number {
    return this.q.length;
  }

  /** Every event not yet acknowledged, oldest first. */
  events(): readonly VigilEvent[] {
    return this.q;
  }

  ack(id: string): void {
    if (this.q[0]?.id !== id) throw new Error(`outbox: ack for ${id} is not the head`);
    this.q.shift();
  }
}

export class Outbox {
  private readonly pendingQueue = new OutboxQueue();
  private eventsFd: number;
  private ackFd: number;

  private constructor(
    private readonly eventsPath: string,
    private readonly ackPath: string,
  ) {
    mkdirSync(dirname(eventsPath), { recursive: true });
    const acked = new Set(readLines(ackPath));
    for (const line of readLines(eventsPath)) {
      // A torn last line (crash mid-write) is skipped: it was never acknowledged to anyone.
      const parsed = safeParse(line);
      if (parsed && !acked.has(parsed.id)) this.pendingQueue.append(parsed);
    }
    this.eventsFd = openSync(eventsPath, "a");
    this.ackFd = openSync(ackPath, "a");
    this.compactIfDrained();
  }

  static open(dir: string): Outbox {
    return new Outbox(`${dir}/outbox.jsonl`, `${dir}/outbox.acked`);
  }

  /** Durably records an event; it will be published in order. */
  append(e: VigilEvent): void {
    writeSync(this.eventsFd, JSON.stringify(e) + "\n");
    fdatasyncSync(this.eventsFd);
    this.pendingQueue.append(e);
  }

  /** Oldest unacknowledged event. */
  head(): VigilEvent | undefined {
    return this.pendingQueue.head();
  }

  get pending(): number {
    return this.pendingQueue.pending;
  }

  /** Marks the head acknowledged by JetStream. */
  ack(id: string): void {
    this.pendingQueue.ack(id);
    writeSync(this.ackFd, id + "\n");
    this.compactIfDrained();
  }

  close(): void {
    closeSync(this.eventsFd);
    closeSync(this.ackFd);
  }

  /** Once everything is acknowledged both files can start empty again. */
  private compactIfDrained(): void {
    if (this.pendingQueue.pending > 0) return;
    truncateSync(this.eventsPath, 0);
    truncateSync(this.ackPath, 0);
  }
}

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
}

function safeParse(line: string): VigilEvent | null {
  try {
    const r = VigilEvent.safeParse(JSON.parse(line));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
