// NATS connections for agents and the CLI. Reconnection never gives up: the default stops after
// about 20 s, and an agent must outlive any NATS outage.
import { connect, type NatsConnection } from "@nats-io/transport-node";

export function parseNatsUrls(s: string | string[]): string[] {
  const list = Array.isArray(s) ? s : [s];
  return list
    .flatMap((x) => x.split(/[,\s]+/))
    .filter((x) => x.length > 0)
    .map((u) => (u.includes("://") ? u : `nats://${u}`));
}

export interface ConnectOptions {
  servers: string[];
  name: string;
  /** Agents start even when NATS is away (events wait in the outbox); the CLI fails fast instead. */
  waitOnFirstConnect: boolean;
  timeoutMs?: number;
}

export function connectNats(o: ConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: o.servers,
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 2_000,
    maxPingOut: 2,
    timeout: o.timeoutMs ?? 2_000,
    waitOnFirstConnect: o.waitOnFirstConnect,
  });
}
