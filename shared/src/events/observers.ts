// What each node reported about the others, as the log has it, and who is alive by those reports.
// Every agent records its own view of membership (NodeUp/NodeDead…, MembershipChanged, QuorumLost…),
// so the log holds one opinion per observer; the fold must pick whose opinions count:
//  - an observer *reports* while its agent runs (it wrote something after its last AgentStopped or
//    fencing) and no running peer has declared it dead since the last thing it wrote: a kill -9'd
//    node's last word ("I have quorum, n1 and I are up") is superseded by the survivors calling it dead;
//  - the observers whose latest report does not deny them quorum have the say (a node cut off from
//    the others calls them dead, and must not overrule the majority); if every reporter is without
//    quorum they still know whom they hear, and have the say together;
//  - a node is alive when it has the say itself, or one with the say hears it; when none of those has
//    an opinion on it yet (it has just started), its own reporting counts.
// Pure; the fold (cluster-view.ts) keeps these records in place.

export interface Opinion {
  alive: boolean;
  seq: number;
}

export interface QuorumReport {
  has: boolean;
  /** The members it named with the report. */
  members: string[];
  /** The report's cause (QuorumLost's says why, in quorum.ts's words). */
  reason: string;
  type: string;
  seq: number;
  time: string;
}

export interface Observer {
  /** Seq of the last event this node's agent wrote (operator commands excluded). */
  lastSeq: number;
  /** Seq of its last AgentStopped, Fenced or FenceConfirmed: not running unless it wrote since. */
  stoppedSeq: number;
  /** Its latest opinion of each peer. */
  peers: Record<string, Opinion>;
  quorum: QuorumReport | null;
  /** Its latest PlacementDecided's reasons. */
  reasons: Record<string, string> | null;
}

export type Observers = Record<string, Observer>;

export function observer(obs: Observers, name: string): Observer {
  return (obs[name] ??= { lastSeq: 0, stoppedSeq: 0, peers: {}, quorum: null, reasons: null });
}

export const isRunning = (o: Observer | undefined) => !!o && o.lastSeq > o.stoppedSeq;

/** Observers whose reports stand now, in `order` (ha.cf order, then any others). */
export function reportingNodes(obs: Observers, order: readonly string[]): string[] {
  const names = [...new Set([...order, ...Object.keys(obs)])];
  return names.filter((n) => {
    const o = obs[n];
    if (!isRunning(o)) return false;
    return !names.some((q) => q !== n && isRunning(obs[q]) && obs[q]!.peers[n]?.alive === false && obs[q]!.peers[n]!.seq > o!.lastSeq);
  });
}

/** The reporters whose opinions count: those not without quorum, or all of them if none is. */
export function withTheSay(obs: Observers, reporting: readonly string[]): string[] {
  const quorate = reporting.filter((n) => obs[n]!.quorum?.has !== false);
  return quorate.length > 0 ? quorate : [...reporting];
}

export function isAlive(obs: Observers, name: string, reporting: readonly string[], say: readonly string[]): boolean {
  if (say.includes(name)) return true;
  const stoppedSeq = obs[name]?.stoppedSeq ?? 0;
  const opinions = say.map((a) => obs[a]!.peers[name]).filter((o): o is Opinion => o !== undefined);
  if (opinions.length === 0) return reporting.includes(name);
  return opinions.some((o) => o.alive && o.seq > stoppedSeq);
}
