// `vigil log [-f] [--json] [--all] [--from SEQ | --since TIME] [--type T] [--node N] [--about N]`
import type { NatsConnection } from "@nats-io/transport-node";
import { readEvents } from "@vigil/log-client/event-reader";
import { EVENT_TYPES, type EventType, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";
import { parseCliDuration } from "../cli-duration.js";
import { FOLD_WINDOW_MS, LogFolder, type FoldedEvent } from "./log-fold.js";
import { configuredNodes, hasWriter, noSuchNode } from "./node-names.js";

export interface LogFlags extends CommonFlags {
  follow?: boolean;
  all?: boolean;
  from?: string | undefined;
  since?: string | undefined;
  type?: string | undefined;
  node?: string | undefined;
  about?: string | undefined;
}

const ENVELOPE = new Set(["v", "id", "type", "node", "time", "cause", "causeId"]);

function fieldsOf(e: VigilEvent): string {
  return Object.entries(e)
    .filter(([k]) => !ENVELOPE.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

/** One line for people: time, seq, node, type, the event's own fields, and why. */
export function formatEvent(seq: number, e: VigilEvent): string {
  const cause = e.cause ? `  (${e.cause})` : "";
  return `${e.time}  #${seq}  ${e.node.padEnd(8)} ${e.type.padEnd(18)} ${fieldsOf(e)}${cause}`;
}

/** A folded line: the first copy, and every observer that recorded the same change. */
export function formatFolded(f: FoldedEvent): string {
  if (f.seen.length === 1) return formatEvent(f.seq, f.event);
  const e = f.event;
  const seen = f.seen.map((s) => `${s.node} #${s.seq}`).join(", ");
  return `${e.time}  #${f.seq}  ${e.node.padEnd(8)} ${e.type.padEnd(18)} ${fieldsOf(e)}  (seen by ${seen})`;
}

// Fields whose value names a node: the peer observed, a command's target, a fence victim, a move's
// ends, the node a failcount was cleared on.
const NODE_FIELDS = ["peer", "target", "victim", "from", "to", "on"] as const;

/** The nodes an event is about: those it names, or else its writer (a node's own start, stop, group
 *  or resource action). PlacementDecided is about every node it places a group on. */
export function aboutNodes(e: VigilEvent): string[] {
  const named = new Set<string>();
  const rec = e as unknown as Record<string, unknown>;
  for (const k of NODE_FIELDS) if (typeof rec[k] === "string") named.add(rec[k] as string);
  if (e.type === "PlacementDecided") for (const n of Object.values(e.placement)) if (n) named.add(n);
  if (named.size === 0 && e.node !== "cli") named.add(e.node);
  return [...named];
}

/** `--type`: any case, and only a type the vocabulary has (a typo would otherwise print nothing). */
export function resolveType(t: string): EventType {
  const found = EVENT_TYPES.find((x) => x.toLowerCase() === t.toLowerCase());
  if (!found) throw new CliError(`--type: no event type "${t}" (known: ${EVENT_TYPES.join(", ")})`, 2);
  return found;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `--since`: an ISO time, or a duration ago (10m). A bare number is refused: it could mean seconds,
 *  a year or a sequence number, and each reading would print a different log. */
export function parseSince(s: string, now = Date.now()): Date {
  const ms = parseCliDuration(s, { bareSeconds: false });
  if (ms !== null) return new Date(now - ms);
  if (/^\d+(\.\d+)?$/.test(s.trim())) {
    throw new CliError(`--since: "${s}" is a bare number: write ${s}s or ${s}m for a time ago, an ISO time, or --from ${s} for sequence number ${s}`, 2);
  }
  const d = ISO_TIME.test(s.trim()) ? new Date(s.trim()) : null;
  if (!d || Number.isNaN(d.getTime())) throw new CliError(`--since: "${s}" is neither an ISO 8601 time (2026-01-01T10:00:00Z) nor a duration like 10m`, 2);
  return d;
}

/** The writer of the CLI's own commands (unless `--as` names another). */
const CLI_WRITER = "cli";

/** `--node N` and `--about N` name a node of the cluster (a filter on a typo prints nothing, which
 *  reads as "nothing happened"). `--node` also takes the CLI's own writer, `cli`, and any other
 *  writer that wrote something (an `--as` name). A log with no configuration yet is not checked. */
async function checkNodeFilters(nc: NatsConnection, cluster: string, f: LogFlags): Promise<void> {
  if (f.node === undefined && f.about === undefined) return;
  const nodes = await configuredNodes(nc, cluster);
  if (nodes.length === 0) return;
  if (f.about !== undefined && !nodes.includes(f.about)) throw new CliError(noSuchNode(f.about, nodes));
  if (f.node === undefined || f.node === CLI_WRITER || nodes.includes(f.node)) return;
  if (!(await hasWriter(nc, cluster, f.node))) throw new CliError(noSuchNode(f.node, nodes));
}

export async function logCommand(f: LogFlags, out: (s: string) => void): Promise<number> {
  if (f.from && f.since) throw new CliError("--from and --since cannot be used together", 2);
  const fromSeq = f.from !== undefined && /^\d+$/.test(f.from) ? Number(f.from) : undefined;
  if (f.from !== undefined && (fromSeq === undefined || fromSeq < 1)) throw new CliError(`--from: "${f.from}" is not a sequence number`, 2);
  const since = f.since ? parseSince(f.since) : undefined;
  const type = f.type !== undefined ? resolveType(f.type) : undefined;
  const { nc, cluster } = await connectCli(f);
  try {
    await checkNodeFilters(nc, cluster, f);
  } catch (e) {
    await nc.close().catch(() => {});
    throw e;
  }
  const stop = () => void nc.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const folder = f.json || f.all ? null : new LogFolder();
  const print = (lines: FoldedEvent[]) => lines.forEach((l) => out(formatFolded(l)));
  // Following, a folded line is printed once no more copies can come.
  const timer = folder && f.follow ? setInterval(() => print(folder.due(Date.now())), FOLD_WINDOW_MS / 4) : null;
  try {
    for await (const { seq, event } of readEvents(nc, cluster, {
      follow: !!f.follow,
      ...(fromSeq ? { fromSeq } : {}),
      ...(since ? { since } : {}),
      ...(type ? { type } : {}),
      ...(f.node ? { node: f.node } : {}),
      onInvalid: (s, p) => process.stderr.write(`vigil log: #${s} is not a valid event (${p}); skipped\n`),
    })) {
      if (f.about !== undefined && !aboutNodes(event).includes(f.about)) continue;
      if (folder) print(folder.push(seq, event, Date.now()));
      else out(f.json ? JSON.stringify({ seq, ...event }) : formatEvent(seq, event));
    }
    if (folder) print(folder.flush());
  } catch (e) {
    if (!nc.isClosed()) throw new CliError(`reading the event log failed: ${(e as Error).message}`);
    if (folder) print(folder.flush());
  } finally {
    if (timer) clearInterval(timer);
    await nc.close().catch(() => {});
  }
  return 0;
}
