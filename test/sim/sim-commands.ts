// Operator commands in the simulator: what `vigil node standby|online NODE`, `vigil resource
// move|clear|cleanup GROUP [NODE]` and `vigil hb standby|takeover [which] --node NODE` do with
// `--wait`, against the simulated log, through the CLI's own decisions (services/cli operator-plan.ts:
// planCommand, CommandWait, planHb, COMMAND_SAYS). Only the CLI's I/O is modelled here: fold the log
// (a read that retries a log that does not answer for DEFAULT_READ_TIMEOUT_MS), publish with
// CLI_PUBLISH_TIMEOUT_MS, then follow the log until carried out, refused or the --wait timeout.
//
//   const cli = new SimCli(log, { nextId })       one operator at one terminal: commands run one
//                                                 after another, each when the one before returned
//   cli.issue(command, at)                        queue a command (SimCommand) to start at `at`
//   cli.poll(now) → { finished, nextAt }          advance every command due by `now`; call again at
//                                                 nextAt, and when the log stores something (onStore)
//   cli.runs()                                    every command: its outcome (done, refused with the
//                                                 CLI's message, or timeout: left hanging) and times
//   commandVerb(command)                          the CLI verb, for tables: "standby", "hb takeover" …
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { DEFAULT_READ_TIMEOUT_MS } from "@vigil/log-client/event-reader";
import { parseTimeout } from "@vigil/cli/cli-duration";
import {
  CLI_PUBLISH_TIMEOUT_MS,
  COMMAND_SAYS,
  CommandWait,
  carriedOut,
  planCommand,
  planHb,
  type OperatorCommand,
} from "@vigil/cli/commands/operator-plan";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import type { PublishResult, SimLog } from "./sim-log.js";

export type HbCommand = { kind: "hb"; verb: "standby" | "takeover"; which: "all" | "foreign" | "local"; node: string };
export type SimCommand = OperatorCommand | HbCommand;

export const COMMAND_VERBS = ["standby", "online", "move", "clear", "cleanup", "hb standby", "hb takeover"] as const;
export type CommandVerb = (typeof COMMAND_VERBS)[number];

export function commandVerb(c: SimCommand): CommandVerb {
  return c.kind === "hb" ? `hb ${c.verb}` : c.kind;
}

export function describeCommand(c: SimCommand): string {
  switch (c.kind) {
    case "standby":
    case "online":
      return `vigil node ${c.kind} ${c.node} --wait`;
    case "move":
      return `vigil resource move ${c.group} ${c.node} --wait`;
    case "clear":
    case "cleanup":
      return `vigil resource ${c.kind} ${c.group} --wait`;
    case "hb":
      return `vigil hb ${c.verb} ${c.which} --node ${c.node} --wait`;
  }
}

export type Outcome =
  /** Carried out (or already so). */
  | { kind: "done"; message: string }
  /** The CLI refused with a reason (exit 1): cannot, not accepted, no log. */
  | { kind: "refused"; message: string }
  /** `--wait` gave up: in the log, never carried out nor refused within the timeout. */
  | { kind: "timeout"; message: string };

export interface CommandRun {
  command: SimCommand;
  /** When the operator typed it, when it began (after the one before), when it returned. */
  issuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  outcome: Outcome | null;
  /** Seqs the command's events were recorded at (a move per group for hb). */
  recorded: number[];
  /** hb: each move's own outcome. */
  moves: CommandRun[];
}

export interface SimCliOptions {
  /** The CLI's ids (`cli.<uuid>` in the real one). */
  nextId: () => string;
  /** `--timeout` (default the CLI's own). */
  timeoutMs?: number;
  /** `--as`: the writer recorded. */
  as?: string;
}

/** Where one operator command (not hb) stands. */
type Phase =
  | { at: "fold"; since: number }
  | { at: "publish"; ackAt: number; result: PublishResult; event: VigilEvent; view: ClusterView; foldedTo: number }
  | { at: "wait"; view: ClusterView; cursor: number; wait: CommandWait; deadline: number };

interface Active {
  run: CommandRun;
  phase: Phase;
  /** hb: the moves still to run, and the failures so far. */
  hb?: { moves: OperatorCommand[]; failed: string[]; active: Active | null; planned: boolean };
}

/** The CLI's reader: a bound on the steps one poll takes at one instant. */
const MAX_STEPS = 10_000;

export class SimCli {
  private readonly queue: CommandRun[] = [];
  private readonly all: CommandRun[] = [];
  private active: Active | null = null;
  private readonly timeoutMs: number;
  private readonly writer: string;

  constructor(
    private readonly log: SimLog,
    private readonly o: SimCliOptions,
  ) {
    this.timeoutMs = o.timeoutMs ?? parseTimeout(undefined);
    this.writer = o.as ?? "cli";
  }

  issue(command: SimCommand, at: number): CommandRun {
    const run: CommandRun = { command, issuedAt: at, startedAt: null, endedAt: null, outcome: null, recorded: [], moves: [] };
    this.queue.push(run);
    this.queue.sort((a, b) => a.issuedAt - b.issuedAt);
    this.all.push(run);
    return run;
  }

  runs(): readonly CommandRun[] {
    return this.all;
  }

  poll(now: number): { finished: CommandRun[]; nextAt: number | null } {
    const finished: CommandRun[] = [];
    for (let i = 0; i < MAX_STEPS; i++) {
      if (!this.active) {
        const next = this.queue[0];
        if (!next || next.issuedAt > now) break;
        this.queue.shift();
        next.startedAt = now;
        this.active = this.begin(next, now);
      }
      const a = this.active;
      if (!this.advance(a, now)) break;
      if (a.run.outcome) {
        a.run.endedAt = now;
        finished.push(a.run);
        this.active = null;
      }
    }
    return { finished, nextAt: this.nextAt(now) };
  }

  private begin(run: CommandRun, now: number): Active {
    const a: Active = { run, phase: { at: "fold", since: now } };
    if (run.command.kind === "hb") a.hb = { moves: [], failed: [], active: null, planned: false };
    return a;
  }

  /** One step of the active command; false when it waits for time to pass. */
  private advance(a: Active, now: number): boolean {
    if (a.hb) return this.advanceHb(a, a.run.command as HbCommand, now);
    return this.advanceOne(a, a.run.command as OperatorCommand, now);
  }

  /** foldLog: the whole log as it stands; a log that does not answer is retried, then given up on. */
  private fold(since: number, now: number): ClusterView | "wait" | { refused: string } {
    if (!this.log.reachable(this.writer, now)) {
      if (now - since < DEFAULT_READ_TIMEOUT_MS) return "wait";
      return { refused: `the event log of cluster "${this.log.cluster}" did not answer within ${DEFAULT_READ_TIMEOUT_MS / 1000} s` };
    }
    if (!this.log.exists) return { refused: `no cluster "${this.log.cluster}" (its stream does not exist)` };
    const v = emptyView(this.log.cluster);
    for (const { seq, event } of this.log.entries()) applyEvent(v, event, seq);
    return v;
  }

  private advanceOne(a: Active, c: OperatorCommand, now: number): boolean {
    const p = a.phase;
    const end = (outcome: Outcome) => ((a.run.outcome = outcome), true);
    switch (p.at) {
      case "fold": {
        const v = this.fold(p.since, now);
        if (v === "wait") return false;
        if ("refused" in v) return end({ kind: "refused", message: v.refused });
        const foldedTo = v.lastSeq;
        const plan = planCommand(v, c, now, { id: this.o.nextId(), node: this.writer });
        if (plan.kind === "refused") return end({ kind: "refused", message: plan.message });
        if (plan.kind === "already") {
          if (plan.done) return end({ kind: "done", message: plan.message });
          a.phase = { at: "wait", view: v, cursor: foldedTo + 1, wait: new CommandWait(c, null), deadline: now + this.timeoutMs };
          return true;
        }
        const result = this.log.publish(this.writer, plan.event, now, CLI_PUBLISH_TIMEOUT_MS);
        a.phase = { at: "publish", ackAt: result.at, result, event: plan.event, view: v, foldedTo };
        return true;
      }
      case "publish": {
        if (p.ackAt > now) return false;
        const r = p.result;
        // A publish that timed out may be stored all the same: the CLI says it was not accepted.
        if (!r.ok) return end({ kind: "refused", message: COMMAND_SAYS.notAccepted(r.why) });
        a.run.recorded.push(r.seq);
        applyEvent(p.view, p.event, r.seq);
        if (carriedOut(p.view, c, now) === true) return end({ kind: "done", message: `carried out (#${r.seq}): it was already so` });
        a.phase = { at: "wait", view: p.view, cursor: p.foldedTo + 1, wait: new CommandWait(c, r.seq), deadline: now + this.timeoutMs };
        return true;
      }
      case "wait": {
        for (const { seq, event } of this.log.read(this.writer, p.cursor, now)) {
          p.cursor = seq + 1;
          applyEvent(p.view, event, seq);
          const done = p.wait.see(p.view, seq, event, now);
          if (done === true) return end({ kind: "done", message: `carried out (#${seq})` });
          if (typeof done === "string") return end({ kind: "refused", message: COMMAND_SAYS.cannot(c, done) });
        }
        if (now >= p.deadline) return end({ kind: "timeout", message: COMMAND_SAYS.notCarriedOut(c, this.timeoutMs) });
        return false;
      }
    }
  }

  /** hbCommand: plan the moves on a fold, then run each move as its own command, one after another. */
  private advanceHb(a: Active, c: HbCommand, now: number): boolean {
    const hb = a.hb!;
    const end = (outcome: Outcome) => ((a.run.outcome = outcome), true);
    if (!hb.planned) {
      const p = a.phase as Extract<Phase, { at: "fold" }>;
      const v = this.fold(p.since, now);
      if (v === "wait") return false;
      if ("refused" in v) return end({ kind: "refused", message: v.refused });
      const plan = planHb(v, c.verb, c.which, c.node);
      if ("refused" in plan) return end({ kind: "refused", message: plan.refused });
      hb.moves = plan.moves;
      hb.planned = true;
      if (hb.moves.length === 0) return end({ kind: "done", message: `hb ${c.verb} ${c.which}: no group to move` });
      return true;
    }
    if (!hb.active) {
      const m = hb.moves[a.run.moves.length];
      if (!m) {
        const total = hb.moves.length;
        if (hb.failed.length === 0) return end({ kind: "done", message: `hb ${c.verb} ${c.which}: ${total} moved` });
        // A move that timed out leaves the whole command hanging; otherwise it is refused with reasons.
        const hanging = a.run.moves.some((r) => r.outcome?.kind === "timeout");
        const message = `hb ${c.verb} ${c.which}: ${hb.failed.length} of ${total} groups not moved: ${hb.failed.join("; ")}`;
        return end({ kind: hanging ? "timeout" : "refused", message });
      }
      const run: CommandRun = { command: m, issuedAt: now, startedAt: now, endedAt: null, outcome: null, recorded: [], moves: [] };
      a.run.moves.push(run);
      hb.active = { run, phase: { at: "fold", since: now } };
    }
    const sub = hb.active;
    if (!this.advanceOne(sub, sub.run.command as OperatorCommand, now)) return false;
    if (sub.run.outcome) {
      sub.run.endedAt = now;
      a.run.recorded.push(...sub.run.recorded);
      if (sub.run.outcome.kind !== "done") hb.failed.push(`${(sub.run.command as { group: string }).group}: ${sub.run.outcome.message}`);
      hb.active = null;
    }
    return true;
  }

  private nextAt(now: number): number | null {
    const times: number[] = [];
    const next = this.queue[0];
    if (!this.active && next) times.push(next.issuedAt);
    const a = this.active?.hb?.active ?? this.active;
    if (a) {
      const p = a.phase;
      if (p.at === "fold") times.push(p.since + DEFAULT_READ_TIMEOUT_MS);
      if (p.at === "publish") times.push(p.ackAt);
      if (p.at === "wait") {
        times.push(p.deadline);
        const at = this.log.deliverableAt(p.cursor);
        if (at !== null) times.push(at);
      }
      const edge = this.log.nextEdge(this.writer, now);
      if (edge !== null) times.push(edge);
    }
    const future = times.filter((t) => t > now);
    return future.length > 0 ? Math.min(...future) : null;
  }
}
