// Operator commands: events written to the log; agents act once the log has them.
// `vigil node standby|online NODE`, `vigil resource move|clear|cleanup GROUP [NODE]`, `--wait`.
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { foldLog } from "@vigil/log-client/fold-log";
import { readEvents } from "@vigil/log-client/event-reader";
import { applyEvent, clusterQuorum, nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { eventSubject, makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";
import { describeMs, parseTimeout } from "../cli-duration.js";
import { expectedPlacement, placementReached } from "./expected-placement.js";
import { noSuchNode } from "./node-names.js";

export interface OperatorFlags extends CommonFlags {
  wait?: boolean;
  timeout?: string;
  as?: string;
}

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

function toEvent(c: OperatorCommand): { type: EventType; body: EventBody<EventType>; cause: string } {
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
      const g = v.groups.get(c.group)!;
      if (g.node === c.node && g.state === "started") return true;
      if (g.state === "blocked" || g.state === "failed") return `group ${c.group} is ${g.state}${g.reason ? `: ${g.reason}` : ""}`;
      // The agents' placement says the move cannot be carried out (a failcount at its threshold, the
      // node not eligible): say so at once; the move stays in force until `resource clear`.
      const bar = g.movedTo === c.node && g.reason !== null ? /^move to \S+ not possible \(([^)]*)\)/.exec(g.reason) : null;
      if (bar) return `the cluster cannot run ${c.group} on ${c.node}: ${bar[1]} (the move stays in force until vigil resource clear ${c.group})`;
      return null;
    }
    case "cleanup": {
      const g = v.groups.get(c.group)!;
      return g.resources.every((r) => Object.values(r.failcounts).every((n) => n === 0)) ? true : null;
    }
  }
}

/** `--timeout` says how long `--wait` waits: alone it would be ignored without a word, so it is bad usage. */
export function waitTimeout(f: OperatorFlags): number {
  if (f.timeout !== undefined && !f.wait) throw new CliError(`--timeout needs --wait (it is how long --wait waits; without --wait the command returns once the log holds it)`, 2);
  return parseTimeout(f.timeout);
}

export async function operatorCommand(c: OperatorCommand, f: OperatorFlags, out: (s: string) => void): Promise<number> {
  const timeoutMs = waitTimeout(f);
  const { nc, cluster } = await connectCli(f);
  try {
    const view = await foldLog(nc, cluster);
    // Waiting reads on from the fold, so events written between the fold and the command count too.
    const foldedTo = view.lastSeq;
    const why = checkCommand(view, c);
    if (why) throw new CliError(`cannot ${c.kind}: ${why}`);
    let seq: number | null = null;
    if (alreadyRecorded(view, c)) {
      const done = carriedOut(view, c, Date.now()) === true;
      const said = `already so: ${alreadySaid(view, c)}; nothing recorded${done ? "" : " (the cluster is still carrying it out)"}`;
      out(f.json ? JSON.stringify({ ok: true, already: true, recorded: false, done, message: said }) : said);
      if (done || !f.wait) return 0;
    } else {
      const { type, body, cause } = toEvent(c);
      const e = makeEvent(type, body, { id: `cli.${randomUUID()}`, node: f.as ?? "cli", time: Date.now(), cause });
      const js = jetstream(nc, { timeout: 5_000 });
      const ack = await js.publish(eventSubject(cluster, e), JSON.stringify(e), { msgID: e.id }).catch((err: Error) => {
        throw new CliError(`the event log did not accept the command: ${err.message}`);
      });
      seq = ack.seq;
      applyEvent(view, e, ack.seq);
      out(f.json ? JSON.stringify({ ok: true, seq: ack.seq, id: e.id, type }) : `${type} recorded as #${ack.seq}`);
      if (!f.wait) return 0;
      // Already so once recorded (a move to where the group runs, a standby of a node holding nothing).
      if (carriedOut(view, c, Date.now()) === true) {
        out(f.json ? JSON.stringify({ ok: true, done: true, seq: ack.seq, already: true }) : `carried out (#${ack.seq}): it was already so`);
        return 0;
      }
    }
    return await waitCarriedOut(nc, cluster, view, c, seq, foldedTo + 1, timeoutMs, out, !!f.json);
  } finally {
    await nc.close().catch(() => {});
  }
}

async function waitCarriedOut(
  nc: NatsConnection,
  cluster: string,
  view: ClusterView,
  c: OperatorCommand,
  seq: number | null,
  fromSeq: number,
  timeoutMs: number,
  out: (s: string) => void,
  json: boolean,
): Promise<number> {
  const deadline = setTimeout(() => void nc.close(), timeoutMs);
  let decided: Record<string, string | null> | null = null;
  try {
    for await (const { seq: s, event } of readEvents(nc, cluster, { follow: true, fromSeq })) {
      applyEvent(view, event, s);
      if (event.type === "PlacementDecided" && seq !== null && s > seq) decided = event.placement;
      const done = carriedOut(view, c, Date.now(), decided);
      if (done === true) {
        out(json ? JSON.stringify({ ok: true, done: true, seq: s }) : `carried out (#${s})`);
        return 0;
      }
      if (typeof done === "string") throw new CliError(`cannot ${c.kind}: ${done}`);
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
  } finally {
    clearTimeout(deadline);
  }
  throw new CliError(`${c.kind} is in the log but was not carried out within ${describeMs(timeoutMs)}`);
}

/** heartbeat's groups for `hb_standby`/`hb_takeover`: all, foreign (preferred elsewhere), local (preferred here). */
export function hbGroups(v: ClusterView, which: "all" | "foreign" | "local", node: string): string[] {
  return [...v.groups.values()]
    .filter((g) => which === "all" || (which === "local") === (g.preferredNode === node))
    .map((g) => g.id);
}

/** `vigil hb standby|takeover [all|foreign|local] --node NODE`: heartbeat's hb_standby and hb_takeover,
 *  written as moves (standby: the selected groups held by NODE go to the first other online node;
 *  takeover: the selected groups move to NODE). Unlike heartbeat's, the moves last until
 *  `vigil resource clear GROUP`, as crm's do. */
export async function hbCommand(
  kind: "standby" | "takeover",
  which: "all" | "foreign" | "local",
  node: string,
  f: OperatorFlags,
  out: (s: string) => void,
): Promise<number> {
  waitTimeout(f);
  const { nc, cluster } = await connectCli(f);
  let moves: OperatorCommand[];
  try {
    const v = await foldLog(nc, cluster);
    if (!v.nodes.has(node)) throw new CliError(`cannot hb ${kind}: ${noSuchNode(node, [...v.nodes.keys()])}`);
    const selected = hbGroups(v, which, node);
    if (kind === "takeover") moves = selected.map((group) => ({ kind: "move", group, node }));
    else {
      const target = [...v.nodes.values()].find((n) => n.name !== node && nodeState(n) === "online");
      if (!target) throw new CliError(`cannot hb standby: no other online node to take ${node}'s groups`);
      moves = selected.filter((g) => v.groups.get(g)!.node === node).map((group) => ({ kind: "move", group, node: target.name }));
    }
  } finally {
    await nc.close().catch(() => {});
  }
  if (moves.length === 0) {
    out(f.json ? JSON.stringify({ ok: true, moves: 0 }) : `hb ${kind} ${which}: no group to move`);
    return 0;
  }
  // One group that cannot move does not keep the others where they are: every move is tried.
  const failed: string[] = [];
  for (const m of moves) {
    try {
      await operatorCommand(m, f, out);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      failed.push(`${(m as { group: string }).group}: ${e.message}`);
    }
  }
  if (failed.length > 0) throw new CliError(`hb ${kind} ${which}: ${failed.length} of ${moves.length} groups not moved: ${failed.join("; ")}`);
  return 0;
}
