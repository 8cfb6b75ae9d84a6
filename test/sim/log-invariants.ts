// The event log's invariants in the simulator, as pure checks over the model's log, the agents'
// folds and the operator's commands. Each returns its violations as one-line strings (empty: holds).
//
//   exactlyOnce(entries, windowMs)     every event id once in the stream; the one exception is
//                                      JetStream's own: a copy stored windowMs or more after the one
//                                      before it (the server forgot the id), which every fold skips by id
//   nothingLost(streams, appended)     every event an agent or the CLI wrote (appended: its ids) is in the
//                                      stream, or in one that was wiped (SimLog.lost()) after it was stored
//   outboxesDrained(agents)            after heal, no agent still holds unpublished events
//   foldsConverge(cluster, entries, folds)  after heal, each node's fold equals a fresh fold of the whole
//                                      log (the chaos suite's foldDifferences)
//   commandsAnswered(runs, o)          every command was carried out or refused with a reason: none
//                                      without an answer after o.boundMs, none left hanging by --wait
//                                      outside a disturbance (o.disturbed: a fault overlapped the wait)
//   logInvariants(log, agents, runs, o)  all of them on the model, by invariant name (for the sim's table)
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import { duplicateIds, foldDifferences, freshFold } from "../chaos/invariants.js";
import { describeCommand, type CommandRun } from "./sim-commands.js";
import type { LogEntry, SimAgentLog, SimLog } from "./sim-log.js";

export function exactlyOnce(entries: readonly LogEntry[], duplicateWindowMs: number): string[] {
  const storedAt = new Map(entries.map((e) => [e.seq, e.storedAt]));
  const out: string[] = [];
  for (const { id, seqs } of duplicateIds(entries)) {
    // Each copy after the first is allowed only once the window since the copy before it had passed.
    const early = seqs.slice(1).filter((s, i) => storedAt.get(s)! - storedAt.get(seqs[i]!)! < duplicateWindowMs);
    if (early.length > 0) out.push(`event ${id} stored ${seqs.length} times (#${seqs.join(", #")}), within the duplicate window`);
  }
  return out;
}

export function nothingLost(streams: ReadonlyArray<readonly LogEntry[]>, appended: Iterable<string>): string[] {
  const held = new Set(streams.flatMap((s) => s.map((e) => e.event.id)));
  const missing = [...appended].filter((id) => !held.has(id));
  return missing.length === 0 ? [] : [`${missing.length} events written never reached the log (${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""})`];
}

export function outboxesDrained(agents: readonly SimAgentLog[]): string[] {
  return agents.filter((a) => a.pending > 0).map((a) => `${a.node}'s outbox still holds ${a.pending} events (oldest ${a.outbox()[0]!.id})`);
}

/** `folds`: each node's live fold (SimAgentLog.live: a refold still under way leaves the lost log's). */
export function foldsConverge(cluster: string, entries: readonly LogEntry[], folds: ReadonlyMap<string, ClusterView>): string[] {
  const fresh = freshFold(cluster, entries, entries.at(-1)?.seq ?? 0);
  const out: string[] = [];
  for (const [node, v] of folds) {
    if (v.lastSeq !== fresh.lastSeq) out.push(`${node}'s fold is at #${v.lastSeq}, the log at #${fresh.lastSeq}`);
    else for (const d of foldDifferences(v, fresh)) out.push(`${node}'s fold differs from the log's: ${d}`);
  }
  return out;
}

export interface AnswerBounds {
  /** The end of the run (or the instant checked). */
  now: number;
  /** A started command must have answered within this. */
  boundMs: number;
  /** Whether a fault overlapped [from, to]: a wait that timed out then is excused. */
  disturbed?: (from: number, to: number) => boolean;
}

export function commandsAnswered(runs: readonly CommandRun[], o: AnswerBounds): string[] {
  const out: string[] = [];
  for (const r of runs) {
    const what = `${describeCommand(r.command)} (issued at ${r.issuedAt} ms)`;
    if (!r.outcome) {
      if (r.startedAt !== null && o.now - r.startedAt > o.boundMs) out.push(`${what}: no answer after ${o.now - r.startedAt} ms`);
      continue;
    }
    if (r.outcome.kind === "refused" && r.outcome.message.trim() === "") out.push(`${what}: refused without a reason`);
    if (r.outcome.kind === "timeout" && !o.disturbed?.(r.startedAt!, r.endedAt!)) out.push(`${what}: left hanging: ${r.outcome.message}`);
  }
  return out;
}

export const LOG_INVARIANTS = ["exactly once", "nothing lost", "outboxes drained", "folds converge", "commands answered"] as const;
export type LogInvariant = (typeof LOG_INVARIANTS)[number];

/** Every log invariant on the model after heal: `appended` the ids written, folds each agent's live fold. */
export function logInvariants(
  log: SimLog,
  agents: readonly SimAgentLog[],
  runs: readonly CommandRun[],
  o: AnswerBounds & { appended: Iterable<string> },
): Record<LogInvariant, string[]> {
  return {
    "exactly once": exactlyOnce(log.entries(), log.duplicateWindowMs),
    "nothing lost": nothingLost([log.entries(), ...log.lost().map((s) => s.entries)], o.appended),
    "outboxes drained": outboxesDrained(agents),
    "folds converge": foldsConverge(log.cluster, log.entries(), new Map(agents.map((a) => [a.node, a.live]))),
    "commands answered": commandsAnswered(runs, o),
  };
}
