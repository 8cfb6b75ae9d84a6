// The cluster's JetStream stream: one per cluster, created only by agents (reading never creates it),
// with as many replicas as the JetStream cluster can hold, up to three.
import { jetstreamManager, StorageType, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { streamName, streamSubjects } from "@vigil/shared/events/vocabulary";
import { UserError } from "@vigil/shared/user-error";

const NANOS_PER_MS = 1_000_000;
/** JetStream drops a repeated msgID only inside this window; the fold skips older repeats by id. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
/** Three copies survive one server's loss with a majority left; more only slows every write. */
export const MAX_REPLICAS = 3;

export function manager(nc: NatsConnection, timeoutMs = 5_000): Promise<JetStreamManager> {
  // checkAPI off: the check is one more request that fails with "jetstream is not enabled" while a
  // server is still starting; the first real request reports the same, with a better message below.
  return jetstreamManager(nc, { timeout: timeoutMs, checkAPI: false });
}

export const isNotFound = (e: unknown) => /not found/i.test(String((e as Error)?.message));
/** A request nobody answered: JetStream still starting or electing (the client calls it "not enabled"). */
export const isNoResponders = (e: unknown) => /not enabled|no responders|503/i.test(String((e as Error)?.message));

/** The stream's info, or null when the server says it does not exist (other errors are thrown). */
export async function eventStreamInfo(jsm: JetStreamManager, cluster: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(streamName(cluster));
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

/** `vigil: no cluster "typo" on nats://… (streams here: VIGIL_LAB)`, for a read of a missing stream. */
export async function noClusterError(nc: NatsConnection, jsm: JetStreamManager, cluster: string): Promise<UserError> {
  const names: string[] = [];
  try {
    for await (const n of jsm.streams.names()) names.push(n);
  } catch {
    /* the list is a courtesy; the error stands without it */
  }
  const server = nc.getServer();
  const here = names.length > 0 ? names.sort().join(", ") : "none";
  return new UserError(`no cluster "${cluster}" on nats://${server} (stream ${streamName(cluster)} does not exist; streams here: ${here})`);
}

/**
 * Replicas the stream should have: min(3, servers in the JetStream cluster). The count is the
 * server's own: its INFO lists the client URLs of every server in its cluster (`connect_urls`,
 * itself included), however few URLs this agent was given. A lone server has no `cluster`.
 */
export function wantedReplicas(nc: NatsConnection): number {
  const info = nc.info;
  if (!info?.cluster) return 1;
  const servers = new Set(info.connect_urls ?? []).size;
  return Math.max(1, Math.min(MAX_REPLICAS, servers));
}

export interface EnsuredStream {
  info: StreamInfo;
  /** This call created it (nothing was there). */
  created: boolean;
  /** Replicas asked for, when the stream holds fewer and the server refused to raise them. */
  underReplicated: { replicas: number; wanted: number; reason: string } | null;
}

/**
 * Creates the stream when it is missing, with `replicas`; raises an existing one's replicas to
 * `replicas` with a stream update. Where the server refuses (too few servers up, an old server),
 * the stream stays as it is and the refusal is returned for the agent to record.
 */
export async function ensureEventStream(nc: NatsConnection, cluster: string, replicas: number): Promise<EnsuredStream> {
  const jsm = await manager(nc);
  const name = streamName(cluster);
  const existing = await eventStreamInfo(jsm, cluster);
  if (!existing) {
    const add = (n: number) =>
      jsm.streams.add({
        name,
        subjects: streamSubjects(cluster),
        storage: StorageType.File,
        num_replicas: n,
        duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
      });
    let refusal = "";
    // Fewer servers may take it than the cluster has (some down): fewer replicas now, raised later.
    for (let n = replicas; n >= 1; n--) {
      try {
        const info = await add(n);
        return { info, created: true, underReplicated: n < replicas ? { replicas: n, wanted: replicas, reason: refusal } : null };
      } catch (e) {
        const msg = (e as Error).message;
        // Another agent created it between our info and add.
        if (/already in use/i.test(msg)) return ensureEventStream(nc, cluster, replicas);
        if (n === 1 || !/insufficient|replicas|resources|peers/i.test(msg)) throw e;
        refusal ||= msg;
      }
    }
    throw new Error(`stream ${name}: no replica count was accepted`);
  }
  const have = existing.config.num_replicas ?? 1;
  if (have >= replicas) return { info: existing, created: false, underReplicated: null };
  try {
    const info = await jsm.streams.update(name, { ...existing.config, num_replicas: replicas });
    return { info, created: false, underReplicated: null };
  } catch (e) {
    return { info: existing, created: false, underReplicated: { replicas: have, wanted: replicas, reason: (e as Error).message } };
  }
}
