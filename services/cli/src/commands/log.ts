// `vigil log [-f] [--json] [--from SEQ | --since TIME] [--type T] [--node N]`
import { readEvents } from "@vigil/agent/nats/event-reader";
import type { VigilEvent } from "@vigil/shared/events/vocabulary";
import { CliError, connectCli, type CommonFlags } from "../cli-context.js";

export interface LogFlags extends CommonFlags {
  follow?: boolean;
  from?: string;
  since?: string;
  type?: string;
  node?: string;
}

const ENVELOPE = new Set(["v", "id", "type", "node", "time", "cause", "causeId"]);

/** One line for people: time, seq, node, type, the event's own fields, and why. */
export function formatEvent(seq: number, e: VigilEvent): string {
  const fields = Object.entries(e)
    .filter(([k]) => !ENVELOPE.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const cause = e.cause ? `  (${e.cause})` : "";
  return `${e.time}  #${seq}  ${e.node.padEnd(8)} ${e.type.padEnd(18)} ${fields}${cause}`;
}

export function parseSince(s: string, now = Date.now()): Date {
  const rel = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  if (rel) {
    const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as "ms"];
    return new Date(now - Number(rel[1]) * unit);
  }
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new CliError(`--since: "${s}" is neither a time (ISO 8601) nor a duration like 10m`, 2);
  return d;
}

export async function logCommand(f: LogFlags, out: (s: string) => void): Promise<number> {
  if (f.from && f.since) throw new CliError("--from and --since cannot be used together", 2);
  const fromSeq = f.from ? Number.parseInt(f.from, 10) : undefined;
  if (f.from && (!Number.isInteger(fromSeq) || (fromSeq as number) < 1)) throw new CliError(`--from: "${f.from}" is not a sequence number`, 2);
  const since = f.since ? parseSince(f.since) : undefined;
  const { nc, cluster } = await connectCli(f);
  const stop = () => void nc.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    for await (const { seq, event } of readEvents(nc, cluster, {
      follow: !!f.follow,
      ...(fromSeq ? { fromSeq } : {}),
      ...(since ? { since } : {}),
      ...(f.type ? { type: f.type } : {}),
      ...(f.node ? { node: f.node } : {}),
      onInvalid: (s, p) => process.stderr.write(`vigil log: #${s} is not a valid event (${p}); skipped\n`),
    })) {
      out(f.json ? JSON.stringify({ seq, ...event }) : formatEvent(seq, event));
    }
  } catch (e) {
    if (!nc.isClosed()) throw new CliError(`reading the event log failed: ${(e as Error).message}`);
  } finally {
    await nc.close().catch(() => {});
  }
  return 0;
}
