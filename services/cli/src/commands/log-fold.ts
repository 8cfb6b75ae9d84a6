// Every node records what it sees, so one change (n2 came up) is in the log once per observer. For
// people, `vigil log` folds those copies into one line: same type and same fields, different writers,
// recorded within FOLD_WINDOW_MS of the first. Pure: arrival times are inputs. `--all` and `--json`
// bypass it; the log itself keeps every copy.
import type { VigilEvent } from "@vigil/shared/events/vocabulary";

/** Observers of one change record it within a heartbeat or two of each other; 2 s covers the
 *  slowest timing profile's spread without folding two separate changes of a flapping node. */
export const FOLD_WINDOW_MS = 2_000;

const ENVELOPE = new Set(["v", "id", "type", "node", "time", "cause", "causeId"]);

/** Events that report what the writer observed of the cluster (not what the writer itself did):
 *  the ones several nodes record for one change. */
export function isObservation(e: VigilEvent): boolean {
  return "peer" in e || e.type === "MembershipChanged" || e.type === "PlacementDecided" || e.type === "ConfigLoaded" || e.type === "QuorumLost" || e.type === "QuorumRegained";
}

/** The fields that must match for two events to be copies of one change. */
export function foldKey(e: VigilEvent): string {
  const body = Object.entries(e)
    .filter(([k]) => !ENVELOPE.has(k))
    .sort(([a], [b]) => a.localeCompare(b));
  return `${e.type}\u0000${JSON.stringify(body)}`;
}

export interface FoldedEvent {
  /** The first copy (its seq, time, fields and cause are printed). */
  seq: number;
  event: VigilEvent;
  /** Every writer of a copy, in log order, with its copy's seq. */
  seen: { node: string; seq: number }[];
}

interface Pending extends FoldedEvent {
  key: string | null;
  eventTime: number;
  arrivedAt: number;
}

export class LogFolder {
  private readonly pending: Pending[] = [];
  private latestEventTime = 0;

  constructor(private readonly windowMs = FOLD_WINDOW_MS) {}

  /** Adds an event as it arrives; returns the lines that can no longer gain a copy, oldest first. */
  push(seq: number, event: VigilEvent, arrivedAt: number): FoldedEvent[] {
    const eventTime = Date.parse(event.time);
    const key = isObservation(event) ? foldKey(event) : null;
    const open =
      key === null
        ? undefined
        : this.pending.find((p) => p.key === key && Math.abs(eventTime - p.eventTime) <= this.windowMs && !p.seen.some((s) => s.node === event.node));
    if (open) open.seen.push({ node: event.node, seq });
    else this.pending.push({ seq, event, seen: [{ node: event.node, seq }], key, eventTime, arrivedAt });
    this.latestEventTime = Math.max(this.latestEventTime, eventTime);
    return this.take((p) => p.key === null || this.latestEventTime - p.eventTime > this.windowMs || arrivedAt - p.arrivedAt > this.windowMs);
  }

  /** While following: the lines whose window has passed by the wall clock. */
  due(now: number): FoldedEvent[] {
    return this.take((p) => now - p.arrivedAt > this.windowMs);
  }

  /** The end of the log: everything still held. */
  flush(): FoldedEvent[] {
    return this.take(() => true);
  }

  /** Lines leave in log order: a line waits for the ones before it. */
  private take(ready: (p: Pending) => boolean): FoldedEvent[] {
    const out: FoldedEvent[] = [];
    while (this.pending.length > 0 && ready(this.pending[0]!)) {
      const { seq, event, seen } = this.pending.shift()!;
      out.push({ seq, event, seen });
    }
    return out;
  }
}
