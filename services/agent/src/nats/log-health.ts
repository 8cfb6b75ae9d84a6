// Is this node's fold following the log? Judged from outside the reader, because no NATS client's
// own recovery is trusted (ordered consumers that never resume after a reconnect are a recurring
// bug): the stream's state is compared with the fold's. Pure; the follower feeds it stream info.

export interface LogObservation {
  /** The stream as the server reports it now; null: it does not exist. `leaderless`: a replicated
   *  stream answered while it had no leader (then every replica answers with its own copy, which may
   *  lag the fold: nats-server 2.9 jsStreamInfoRequest). */
  stream: { created: string; lastSeq: number; leaderless?: boolean } | null;
  /** Creation time of the stream the fold is a fold of; null before the first read found it. */
  followedCreated: string | null;
  /** The fold's last seq now, and at the observation this one is compared with. */
  foldSeq: number;
  foldSeqBefore: number;
}

export type LogVerdict =
  | { kind: "ok" }
  /** The stream has events the fold lacks, and the fold did not move since the last look. */
  | { kind: "stalled"; behind: number }
  /** The stream the fold came from is gone: deleted, recreated (a lost store), or shorter than the fold. */
  | { kind: "lost"; why: string };

export function judgeLog(o: LogObservation): LogVerdict {
  const { stream, followedCreated, foldSeq } = o;
  if (!stream) {
    // Never found yet: the agent creating it is another path's job, nothing was lost.
    return followedCreated === null && foldSeq === 0 ? { kind: "ok" } : { kind: "lost", why: "the stream no longer exists" };
  }
  if (followedCreated !== null && stream.created !== followedCreated)
    return { kind: "lost", why: `the stream was recreated (created ${stream.created}, the fold's was created ${followedCreated})` };
  // A leaderless replica's copy may end before the fold without anything being lost: no verdict on it.
  if (stream.lastSeq < foldSeq) return stream.leaderless ? { kind: "ok" } : { kind: "lost", why: `the stream ends at #${stream.lastSeq}, before the fold's #${foldSeq}` };
  if (stream.lastSeq > foldSeq && foldSeq === o.foldSeqBefore) return { kind: "stalled", behind: stream.lastSeq - foldSeq };
  return { kind: "ok" };
}

/** How often the follower's watchdog looks at the stream, and how long after a reconnect it looks
 *  (the reader has had time to resume by then). */
export const CHECK_EVERY_MS = 3_000;
export const CHECK_AFTER_RECONNECT_MS = 1_500;

export type WatchdogAction =
  | { kind: "none" }
  /** Restart the reader from the fold's lastSeq + 1. */
  | { kind: "restart"; behind: number }
  /** Report the loss (once, until `reset`): the agent rebuilds the log. */
  | { kind: "lost"; why: string };

export interface WatchdogLook extends Omit<LogObservation, "foldSeqBefore"> {
  /** The reader's count of completed requests: it moved since the last look = it is working. */
  activity: number;
  /** The fold's seq at a reconnect, for the look made after it; absent for the periodic look. */
  before?: number;
}

/** The follower's watchdog: what to do about each look at the stream (judged by judgeLog), with the
 *  memory of the looks before it. Pure; the follower (and the simulator) feed it the looks. */
export class LogWatchdog {
  private seqAtLastCheck = -1;
  private activityAtLastCheck = -1;
  private lostReported = false;

  look(o: WatchdogLook): WatchdogAction {
    const { activity, before, ...seen } = o;
    const verdict = judgeLog({ ...seen, foldSeqBefore: before ?? this.seqAtLastCheck });
    this.seqAtLastCheck = o.foldSeq;
    const working = activity !== this.activityAtLastCheck;
    this.activityAtLastCheck = activity;
    if (verdict.kind === "stalled" && working && before === undefined) {
      // Behind, but its requests complete: it is retrying (an election) or about to read; the
      // reader itself makes a new consumer when a fetch comes back empty while events wait.
      return { kind: "none" };
    }
    if (verdict.kind === "stalled") return { kind: "restart", behind: verdict.behind };
    if (verdict.kind === "lost" && !this.lostReported) {
      this.lostReported = true;
      return { kind: "lost", why: verdict.why };
    }
    return { kind: "none" };
  }

  /** A refold began: the new stream is judged afresh, and its loss would be reported again. */
  reset(): void {
    this.lostReported = false;
    this.seqAtLastCheck = -1;
  }
}
