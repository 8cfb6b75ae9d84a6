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
