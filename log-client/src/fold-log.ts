// Cluster state = fold of the event log (from the start, or from a snapshot plus the tail).
import type { NatsConnection } from "@nats-io/transport-node";
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { readEvents } from "./event-reader.js";

export async function foldLog(nc: NatsConnection, cluster: string, view: ClusterView = emptyView(cluster)): Promise<ClusterView> {
  const fromSeq = view.lastSeq + 1;
  for await (const { seq, event } of readEvents(nc, cluster, { follow: false, fromSeq })) applyEvent(view, event, seq);
  return view;
}
