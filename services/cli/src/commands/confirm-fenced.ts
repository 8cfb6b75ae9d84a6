// `vigil node confirm-fenced NODE`: the operator's word that NODE is down or was fenced by hand, as
// Pacemaker's `stonith_admin --confirm`. Written as a FenceConfirmed event, which the fold and the
// agents take as a successful fence: the groups NODE held may then start elsewhere. Refused unless
// the live nodes call NODE dead (offline or unclean): confirming a node that answers heartbeats
// would let its groups run twice. A node fenced or confirmed down since it was last heard is already
// so: nothing is recorded again.
import { randomUUID } from "node:crypto";
import { jetstream } from "@nats-io/jetstream";
import { foldLog } from "@vigil/log-client/fold-log";
import { nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { eventSubject, makeEvent } from "@vigil/shared/events/vocabulary";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";
import { noSuchNode } from "./node-names.js";

/** Why NODE cannot be confirmed fenced, or null. Pure, on the folded view. */
export function checkConfirmFenced(v: ClusterView, node: string): string | null {
  if (v.nodes.size === 0) return "the event log holds no cluster configuration yet (is any agent running?)";
  const n = v.nodes.get(node);
  if (!n) return noSuchNode(node, [...v.nodes.keys()]);
  const state = nodeState(n);
  if (state === "online" || state === "standby")
    return `${node} is ${state}: the live nodes hear it, so it is not down; confirm-fenced is for a node that is dead (offline or UNCLEAN)`;
  return null;
}

/** What makes a confirmation a no-op: NODE was fenced, or confirmed down, since it was last alive
 *  (recording it again would change nothing, as for the other commands' "already so"). Pure. */
export function alreadyFenced(v: ClusterView, node: string): string | null {
  const f = v.nodes.get(node)?.fenced;
  if (!f) return null;
  return f.type === "Fenced" ? `${node} was fenced (#${f.seq}) and has not been heard since` : `${node} was confirmed down (#${f.seq}) and has not been heard since`;
}

export async function confirmFencedCommand(node: string, f: CommonFlags & { as?: string }, out: (s: string) => void): Promise<number> {
  const { nc, cluster } = await connectCli(f);
  try {
    const v = await foldLog(nc, cluster);
    const why = checkConfirmFenced(v, node);
    if (why) throw new CliError(`cannot confirm-fenced: ${why}`);
    const already = alreadyFenced(v, node);
    if (already) {
      const said = `already so: ${already}; nothing recorded`;
      out(f.json ? JSON.stringify({ ok: true, already: true, recorded: false, message: said }) : said);
      return 0;
    }
    const was = nodeState(v.nodes.get(node)!);
    const e = makeEvent(
      "FenceConfirmed",
      { victim: node },
      { id: `cli.${randomUUID()}`, node: f.as ?? "cli", time: Date.now(), cause: `operator: node confirm-fenced ${node} (was ${was})` },
    );
    const js = jetstream(nc, { timeout: 5_000 });
    const ack = await js.publish(eventSubject(cluster, e), JSON.stringify(e), { msgID: e.id }).catch((err: Error) => {
      throw new CliError(`the event log did not accept the confirmation: ${err.message}`);
    });
    out(f.json ? JSON.stringify({ ok: true, seq: ack.seq, id: e.id, type: e.type }) : `FenceConfirmed for ${node} recorded as #${ack.seq}: its groups may start elsewhere`);
    return 0;
  } finally {
    await nc.close().catch(() => {});
  }
}
