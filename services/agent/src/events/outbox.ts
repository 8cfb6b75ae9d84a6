// The local outbox: every event is appended (and fsynced) here before anything else happens, then
// published with its id as msgID and marked acknowledged. Nothing is lost while NATS elects a
// leader, restarts or is away; on restart the agent publishes whatever was never acknowledged.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync, truncateSync } from "node:fs";
import { dirname } from "node:path";
import { VigilEvent } from "@vigil/shared/events/vocabulary";

export class Outbox {
  private pendingQueue: VigilEvent[] = [];
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
      if (parsed && !acked.has(parsed.id)) this.pendingQueue.push(parsed);
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
    this.pendingQueue.push(e);
  }

  /** Oldest unacknowledged event. */
  head(): VigilEvent | undefined {
    return this.pendingQueue[0];
  }

  get pending(): number {
    return this.pendingQueue.length;
  }

  /** Marks the head acknowledged by JetStream. */
  ack(id: string): void {
    if (this.pendingQueue[0]?.id !== id) throw new Error(`outbox: ack for ${id} is not the head`);
    this.pendingQueue.shift();
    writeSync(this.ackFd, id + "\n");
    this.compactIfDrained();
  }

  close(): void {
    closeSync(this.eventsFd);
    closeSync(this.ackFd);
  }

  /** Once everything is acknowledged both files can start empty again. */
  private compactIfDrained(): void {
    if (this.pendingQueue.length > 0) return;
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
