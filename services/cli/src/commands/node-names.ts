// A node name given on the command line that the cluster does not have: one message for every command.
import type { NatsConnection } from "@nats-io/transport-node";
import { readEvents } from "@vigil/log-client/event-reader";

/** `no node "n9" in this cluster (nodes: n1, n2, n3)`, the nodes in ha.cf order. */
export function noSuchNode(name: string, nodes: readonly string[]): string {
  return `no node "${name}" in this cluster (nodes: ${nodes.length > 0 ? nodes.join(", ") : "none configured"})`;
}

/** Every node the cluster's configurations have listed: the latest ConfigLoaded's in its (ha.cf)
 *  order, then any that only older ones listed (their events are still in the log). */
export async function configuredNodes(nc: NatsConnection, cluster: string): Promise<string[]> {
  const lists: string[][] = [];
  for await (const { event } of readEvents(nc, cluster, { follow: false, type: "ConfigLoaded" })) {
    if (event.type === "ConfigLoaded") lists.push(event.nodes);
  }
  return [...new Set(lists.reverse().flat())];
}

/** Whether anything in the log was written as `writer` (the CLI's own `cli`, an `--as` name). */
export async function hasWriter(nc: NatsConnection, cluster: string, writer: string): Promise<boolean> {
  for await (const _ of readEvents(nc, cluster, { follow: false, node: writer })) return true;
  return false;
}
