// Follows the event log (`vigil log -f --json`) and lets a test await events instead of sleeping.
import { createInterface } from "node:readline";
import { LabProcess } from "./lab-process.js";

/** One line of `vigil log --json`: the envelope every event has, plus its own fields. */
export interface LoggedEvent {
  seq: number;
  id: string;
  type: string;
  node: string;
  time: string;
  cause?: string;
  peer?: string;
  [field: string]: unknown;
}

type Waiter = {
  pred: (e: LoggedEvent) => boolean;
  resolve: (e: LoggedEvent) => void;
  reject: (err: Error) => void;
};

export class EventTail {
  private readonly seen: LoggedEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private cancelled: Error | undefined;
  /** Lines that were not JSON events (kept for diagnosis, never silently dropped). */
  readonly junk: string[] = [];
  private readonly ids = new Set<string>();
  private current: LabProcess;
  private restarts = 0;
  private stopping = false;

  /**
   * `argv(fromSeq)` builds the `vigil log -f --json …` command; when the tail exits on its own (the
   * stream does not exist yet, NATS went away), it is started again from the next sequence, a
   * bounded number of times, and events already seen are not repeated.
   */
  constructor(
    private readonly argv: (fromSeq: number | undefined) => readonly string[],
    private readonly logFile: string,
    private readonly maxRestarts = 100,
  ) {
    this.current = this.spawn();
  }

  get proc(): LabProcess {
    return this.current;
  }

  private spawn(): LabProcess {
    const last = this.seen.at(-1)?.seq;
    const proc = new LabProcess("vigil-log-f", this.argv(typeof last === "number" ? last + 1 : undefined), this.logFile, {
      pipeStdout: true,
    });
    const stdout = proc.child.stdout;
    if (!stdout) throw new Error("lab: event tail has no stdout");
    createInterface({ input: stdout }).on("line", (line) => this.onLine(line));
    void proc.exited.then(() => {
      if (this.stopping || this.restarts >= this.maxRestarts) return;
      this.restarts++;
      setTimeout(() => {
        if (!this.stopping) this.current = this.spawn();
      }, 300).unref();
    });
    return proc;
  }

  /** Every event seen so far, in log order. */
  events(): LoggedEvent[] {
    return [...this.seen];
  }

  /** The first event (seen already or still to come) that matches; rejects after `timeoutMs`. */
  waitFor(pred: (e: LoggedEvent) => boolean, timeoutMs: number, what = "an event"): Promise<LoggedEvent> {
    const hit = this.seen.find(pred);
    if (hit) return Promise.resolve(hit);
    if (this.cancelled) return Promise.reject(this.cancelled);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(e);
        },
        reject: (err) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`lab: no ${what} in the log within ${timeoutMs} ms; saw:\n${this.summary()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Waits for all predicates (each may match a different event); resolves with the matches in order. */
  waitForAll(preds: ReadonlyArray<(e: LoggedEvent) => boolean>, timeoutMs: number, what = "events"): Promise<LoggedEvent[]> {
    return Promise.all(preds.map((p, i) => this.waitFor(p, timeoutMs, `${what} [${i}]`)));
  }

  /** A short listing of what has been seen, for failure messages. */
  summary(last = 40): string {
    const lines = this.seen.slice(-last).map((e) => `#${e.seq} ${e.time} ${e.node} ${e.type}${e.peer ? ` peer=${e.peer}` : ""}`);
    if (this.junk.length) lines.push(`(${this.junk.length} non-event lines, last: ${this.junk.at(-1)})`);
    if (this.restarts > 0) lines.push(`(vigil log -f was restarted ${this.restarts} times; its stderr:\n${this.current.logTail(10)})`);
    return lines.join("\n") || "(nothing)";
  }

  /** Rejects every pending and later wait with `reason` (Ctrl-C in the demo). */
  cancel(reason: Error): void {
    this.cancelled = reason;
    for (const w of [...this.waiters]) w.reject(reason);
  }

  stop(): Promise<unknown> {
    this.stopping = true;
    return this.current.stop(3_000);
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let e: LoggedEvent;
    try {
      e = JSON.parse(line) as LoggedEvent;
    } catch {
      this.junk.push(line);
      return;
    }
    if (typeof e !== "object" || e === null || typeof e.type !== "string") {
      this.junk.push(line);
      return;
    }
    if (typeof e.id === "string") {
      if (this.ids.has(e.id)) return; // a restarted tail may overlap what was seen
      this.ids.add(e.id);
    }
    this.seen.push(e);
    for (const w of [...this.waiters]) if (w.pred(e)) w.resolve(e);
  }
}

/** Predicate helpers, so tests read as the event they wait for. */
export const is =
  (type: string, fields: { node?: string; peer?: string } = {}) =>
  (e: LoggedEvent): boolean =>
    e.type === type &&
    (fields.node === undefined || e.node === fields.node) &&
    (fields.peer === undefined || e.peer === fields.peer);
