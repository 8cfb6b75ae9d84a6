// The cluster's JetStream stream: one per cluster, created by the first agent that finds it missing.
import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { streamName, streamSubjects } from "@vigil/shared/events/vocabulary";

const NANOS_PER_MS = 1_000_000;
/** JetStream drops a repeated msgID only inside this window; the fold skips older repeats by id. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

export async function ensureEventStream(nc: NatsConnection, cluster: string, replicas: number): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const name = streamName(cluster);
  try {
    await jsm.streams.info(name);
  } catch (e) {
    if (!String((e as Error).message).includes("not found")) throw e;
    try {
      await jsm.streams.add({
        name,
        subjects: streamSubjects(cluster),
        storage: StorageType.File,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
      });
    } catch (e2) {
      // Another agent created it between our info and add.
      if (!String((e2 as Error).message).includes("already in use")) throw e2;
    }
  }
  return jsm;
}
