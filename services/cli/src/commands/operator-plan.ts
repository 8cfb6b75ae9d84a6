// The operator commands' decisions, without NATS: whether the cluster can carry a command out,
// whether it is already so, the event it records, what `--wait` waits for, and which moves
// `hb standby|takeover` makes. Pure, on the folded view (time is an input): operator.ts does the
// I/O around it, and the simulator issues commands through it.
import { clusterQuorum, nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { describeMs } from "../cli-duration.js";
import { expectedPlacement, placementReached } from "./expected-placement.js";
import { noSuchNode } from "./node-names.js";

/** How long the CLI waits for the log to acknowledge a command it records. */
export const CLI_PUBLISH_TIMEOUT_MS = 5_000;

/** What the CLI says (exit 1) when a command cannot be carried out, is not accepted, or is not carried out in time. */
export const COMMAND_SAYS = {
  cannot: (c: OperatorCommand, why: string) => `cannot ${c.kind}: ${why}`,
  notAccepted: (why: string) => `the event log did not accept the command: ${why}`,
  notCarriedOut: (c: OperatorCommand, timeoutMs: number) => `${c.kind} is in the log but was not carried out within ${describeMs(timeoutMs)}`,
};

export type OperatorCommand =
  | { kind: "standby"; node: string }
  | { kind: "online"; node: string }
  | { kind: "move"; group: string; node: string }
  | { kind: "clear"; group: string }
  | { kind: "cleanup"; group: string };

/** Refuses what the cluster cannot carry out, with the reason. Pure, on the folded view. */
export function checkCommand(v: ClusterView, c: OperatorCommand): string | null {
  const nodeNames = [...v.nodes.keys()];
  if (nodeNames.length === 0) return "the event log holds no cluster configuration yet (is any agent running?)";
  if ("node" in c && !v.nodes.has(c.node)) return noSuchNode(c.node, nodeNames);
  if ("group" in c && !v.groups.has(c.group)) return `unknown group "${c.group}" (groups: ${[...v.groups.keys()].join(", ") || "none"})`;
  // Quorum as the live agents report it (one rule: quorum.ts, applied by each agent).
  const quorum = clusterQuorum(v);
  if (!quorum.has) return `the cluster has no quorum: ${quorum.why}`;
  if (c.kind === "move") {
    const n = v.nodes.get(c.node)!;
    if (nodeState(n) !== "online") return `node ${c.node} is ${nodeState(n)}; a group can move only to an online node`;
  }
  return null;
}

/** The event a command records: its type, body and cause, as `vigil` writes them. */
export function commandEvent(c: OperatorCommand): { type: EventType; body: EventBody<EventType>; cause: string } {
  switch (c.kind) {
    case "standby":
      return { type: "StandbyRequested", body: { target: c.node } as never, cause: `operator: node standby ${c.node}` };
    case "online":
      return { type: "OnlineRequested", body: { target: c.node } as never, cause: `operator: node online ${c.node}` };
    case "move":
      return { type: "MoveRequested", body: { group: c.group, target: c.node } as never, cause: `operator: resource move ${c.group} ${c.node}` };
    case "clear":
      return { type: "MoveCleared", body: { group: c.group } as never, cause: `operator: resource clear ${c.group}` };
    case "cleanup":
      return { type: "CleanupRequested", body: { group: c.group } as never, cause: `operator: resource cleanup ${c.group}` };
  }
}

/** The command's effect is already in the folded operator state (standby flag, move, failcounts):
 *  recording it again would change nothing, so nothing is recorded (crm records nothing for a no-op). */
export function alreadyRecorded(v: ClusterView, c: OperatorCommand): boolean {
  switch (c.kind) {
    case "standby":
      return v.nodes.get(c.node)?.standby === true;
    case "online":
      return v.nodes.get(c.node)?.standby === false;
    case "move":
      return v.groups.get(c.group)?.movedTo === c.node;
    case "clear":
      return (v.groups.get(c.group)?.movedTo ?? null) === null;
    case "cleanup": {
      const g = v.groups.get(c.group);
      return !!g && g.state !== "failed" && g.resources.every((r) => r.state !== "failed" && Object.values(r.failcounts).every((n) => n === 0));
    }
  }
}

/** What an already-recorded command finds, in operator words. */
export function alreadySaid(v: ClusterView, c: OperatorCommand): string {
  switch (c.kind) {
    case "standby":
      return `node ${c.node} is in standby`;
    case "online":
      return `node ${c.node} is online (not in standby)`;
    case "move":
      return `group ${c.group} is moved to ${c.node}`;
    case "clear":
      return `group ${c.group} has no move to clear`;
    case "cleanup":
      return `group ${c.group} has no failcount or failure to clean up`;
  }
}

/** When `--wait` is done: null = keep waiting, true = carried out, string = cannot (why).
 *  online and clear may move nothing: they are done once every group is where the placement policy
 *  puts it (expected-placement.ts), or where the agents last decided after the command (`decided`). */
export function carriedOut(
  v: ClusterView,
  c: OperatorCommand,
  now: number,
  decided: Record<string, string | null> | null = null,
): true | string | null {
  const groups = [...v.groups.values()];
  const settled = (g: (typeof groups)[number]) => g.state === "started" || g.state === "stopped" || g.state === "failed" || g.state === "blocked";
  switch (c.kind) {
    case "standby":
      if (!groups.every((g) => g.node !== c.node && settled(g))) return null;
      {
        // Off NODE is not enough: a group left stopped that the policy would run elsewhere is not done
        // (where exactly it goes is the agents' choice).
        const expected = expectedPlacement(v, now);
        return groups.every((g) => g.state !== "stopped" || (expected[g.id] ?? null) === null) ? true : null;
      }
    case "online":
    case "clear":
      if (!groups.every(settled)) return null;
      return placementReached(v, expectedPlacement(v, now)) || (decided !== null && placementReached(v, decided)) ? true : null;
    case "move": {
      const g = v.groups.get(c.group);
      if (!g) return gone(c.group);
      if (g.node === c.node && g.state === "started") return true;
      if (g.state === "blocked" || g.state === "failed") return `group ${c.group} is ${g.state}${g.reason ? `: ${g.reason}` : ""}`;
      // The agents' placement says the move cannot be carried out (a failcount at its threshold, the
      // node not eligible): say so at once; the move stays in force until `resource clear`.
      const bar = g.movedTo === c.node && g.reason !== null ? /^move to \S+ not possible \(([^)]*)\)/.exec(g.reason) : null;
      if (bar) return `the cluster cannot run ${c.group} on ${c.node}: ${bar[1]} (the move stays in force until vigil resource clear ${c.group})`;
      return null;
    }
    case "cleanup": {
      const g = v.groups.get(c.group);
      if (!g) return gone(c.group);
      return g.resources.every((r) => Object.values(r.failcounts).every((n) => n === 0)) ? true : null;
    }
  }
}

/** A group the configuration no longer has (removed from haresources while the command waited). */
const gone = (group: string) => `group ${group} is no longer configured (removed from haresources on SIGHUP)`;

/** heartbeat's groups for `hb_standby`/`hb_takeover`: all, foreign (preferred elsewhere), local (preferred here). */
export function hbGroups(v: ClusterView, which: "all" | "foreign" | "local", node: string): string[] {
  return [...v.groups.values()]
    .filter((g) => which === "all" || (which === "local") === (g.preferredNode === node))
    .map((g) => g.id);
}

/** What running a command on a fold comes to, before anything is written. */
export type CommandPlan =
  /** The cluster cannot carry it out: the CLI says so and exits 1, recording nothing. */
  | { kind: "refused"; message: string }
  /** Already so: nothing is recorded; `done` when it is also carried out already. */
  | { kind: "already"; message: string; done: boolean }
  | { kind: "record"; event: VigilEvent };

export function planCommand(v: ClusterView, c: OperatorCommand, now: number, meta: { id: string; node: string }): CommandPlan {
  const why = checkCommand(v, c);
  if (why) return { kind: "refused", message: COMMAND_SAYS.cannot(c, why) };
  if (alreadyRecorded(v, c)) {
    const done = carriedOut(v, c, now) === true;
    return { kind: "already", done, message: `already so: ${alreadySaid(v, c)}; nothing recorded${done ? "" : " (the cluster is still carrying it out)"}` };
  }
  const { type, body, cause } = commandEvent(c);
  return { kind: "record", event: makeEvent(type, body, { ...meta, time: now, cause }) };
}

/** `--wait`: reads the log on from the fold the command was planned on, and judges each event. */
export class CommandWait {
  /** The agents' last placement decided after the command was recorded (online and clear may move nothing). */
  private decided: Record<string, string | null> | null = null;

  /** `seq`: where the command was recorded; null when it was already so (nothing recorded). */
  constructor(
    readonly c: OperatorCommand,
    readonly seq: number | null,
  ) {}

  /** One event read at `s`, already folded into `v`: true = carried out, string = cannot (why), null = keep waiting. */
  see(v: ClusterView, s: number, event: VigilEvent, now: number): true | string | null {
    if (event.type === "PlacementDecided" && this.seq !== null && s > this.seq) this.decided = event.placement;
    return carriedOut(v, this.c, now, this.decided);
  }
}

/** `hb standby|takeover`: the moves it makes, or why it cannot. */
export function planHb(v: ClusterView, kind: "standby" | "takeover", which: "all" | "foreign" | "local", node: string): { moves: OperatorCommand[] } | { refused: string } {
  if (!v.nodes.has(node)) return { refused: `cannot hb ${kind}: ${noSuchNode(node, [...v.nodes.keys()])}` };
  const selected = hbGroups(v, which, node);
  if (kind === "takeover") return { moves: selected.map((group) => ({ kind: "move", group, node })) };
  const target = [...v.nodes.values()].find((n) => n.name !== node && nodeState(n) === "online");
  if (!target) return { refused: `cannot hb standby: no other online node to take ${node}'s groups` };
  return { moves: selected.filter((g) => v.groups.get(g)!.node === node).map((group) => ({ kind: "move", group, node: target.name })) };
}
