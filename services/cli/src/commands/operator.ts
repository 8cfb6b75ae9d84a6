// Operator commands: events written to the log; agents act once the log has them.
// `vigil node standby|online NODE`, `vigil resource move|clear|cleanup GROUP [NODE]`, `--wait`.
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { foldLog } from "@vigil/log-client/fold-log";
import { readEvents } from "@vigil/log-client/event-reader";
import { applyEvent, type ClusterView } from "@vigil/shared/events/cluster-view";
import { eventSubject } from "@vigil/shared/events/vocabulary";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";
import { parseTimeout } from "../cli-duration.js";
import { carriedOut, CLI_PUBLISH_TIMEOUT_MS, COMMAND_SAYS, CommandWait, planCommand, planHb, type OperatorCommand } from "./operator-plan.js";

export { alreadyRecorded, alreadySaid, carriedOut, checkCommand, hbGroups, type OperatorCommand } from "./operator-plan.js";

export interface OperatorFlags extends CommonFlags {
  wait?: boolean;
  timeout?: string;
  as?: string;
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
    const plan = planCommand(view, c, Date.now(), { id: `cli.${randomUUID()}`, node: f.as ?? "cli" });
    if (plan.kind === "refused") throw new CliError(plan.message);
    let seq: number | null = null;
    if (plan.kind === "already") {
      const { done, message: said } = plan;
      out(f.json ? JSON.stringify({ ok: true, already: true, recorded: false, done, message: said }) : said);
      if (done || !f.wait) return 0;
    } else {
      const e = plan.event;
      const type = e.type;
      const js = jetstream(nc, { timeout: CLI_PUBLISH_TIMEOUT_MS });
      const ack = await js.publish(eventSubject(cluster, e), JSON.stringify(e), { msgID: e.id }).catch((err: Error) => {
        throw new CliError(COMMAND_SAYS.notAccepted(err.message));
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
  const wait = new CommandWait(c, seq);
  try {
    for await (const { seq: s, event } of readEvents(nc, cluster, { follow: true, fromSeq })) {
      applyEvent(view, event, s);
      const done = wait.see(view, s, event, Date.now());
      if (done === true) {
        out(json ? JSON.stringify({ ok: true, done: true, seq: s }) : `carried out (#${s})`);
        return 0;
      }
      if (typeof done === "string") throw new CliError(COMMAND_SAYS.cannot(c, done));
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
  } finally {
    clearTimeout(deadline);
  }
  throw new CliError(COMMAND_SAYS.notCarriedOut(c, timeoutMs));
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
    const plan = planHb(await foldLog(nc, cluster), kind, which, node);
    if ("refused" in plan) throw new CliError(plan.refused);
    moves = plan.moves;
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
