// The parsed form of one LVS virtual service (a subset of keepalived's `virtual_server` block).
// Durations are milliseconds; keepalived writes them in seconds, the parser converts.
import { z } from "zod";

/** Schedulers both backends offer (ipvsadm's names). lc/wlc are approximated on nftables: see scheduler.ts. */
export const LbAlgo = z.enum(["rr", "wrr", "lc", "wlc", "sh", "dh"]);
export type LbAlgo = z.infer<typeof LbAlgo>;

/** keepalived's lb_kind: NAT (masquerading), DR (direct routing), TUN (IP-in-IP). nftables does NAT only. */
export const LbKind = z.enum(["NAT", "DR", "TUN"]);
export type LbKind = z.infer<typeof LbKind>;

export const Protocol = z.enum(["TCP", "UDP"]);
export type Protocol = z.infer<typeof Protocol>;

const Ipv4 = z.ipv4();
const Port = z.number().int().min(1).max(65535);
const Ms = z.number().int().nonnegative();

/** Settings every keepalived checker shares. */
const CheckTiming = {
  connectTimeoutMs: Ms,
  /** Extra attempts after a failure before a live server is declared down (keepalived's `retry`). */
  retry: z.number().int().nonnegative(),
  delayBeforeRetryMs: Ms,
  /** Probe this port instead of the real server's (keepalived's `connect_port`). */
  connectPort: Port.optional(),
};

export const HttpUrl = z.object({
  path: z.string().startsWith("/"),
  /** Expected status; absent means any 2xx, as keepalived does. */
  statusCode: z.number().int().min(100).max(599).optional(),
});
export type HttpUrl = z.infer<typeof HttpUrl>;

export const HealthCheck = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("TCP_CHECK"), ...CheckTiming }),
  z.object({
    kind: z.literal("HTTP_GET"),
    ...CheckTiming,
    /** Every url must answer as expected for the check to pass (keepalived checks each in turn). */
    urls: z.array(HttpUrl).min(1),
    virtualhost: z.string().optional(),
  }),
]);
export type HealthCheck = z.infer<typeof HealthCheck>;

export const RealServer = z.object({
  ip: Ipv4,
  port: Port,
  /** 0 quiesces the server: it takes no new connections (ipvsadm -w 0). */
  weight: z.number().int().min(0).max(65535),
  /** No check: the server is always considered alive (keepalived's rule). */
  check: HealthCheck.optional(),
  /** keepalived's inhibit_on_failure: a failed server stays with weight 0 instead of being removed. */
  inhibitOnFailure: z.boolean(),
  line: z.number().int().nonnegative(),
});
export type RealServer = z.infer<typeof RealServer>;

export const VirtualService = z.object({
  /** Where it was read from, for messages. */
  file: z.string(),
  vip: Ipv4,
  port: Port,
  protocol: Protocol,
  lbAlgo: LbAlgo,
  lbKind: LbKind,
  /** Seconds a client stays with its real server (ipvsadm -p); absent: no persistence. */
  persistenceTimeoutS: z.number().int().positive().optional(),
  delayLoopMs: Ms,
  /** keepalived's `alpha`: servers start down and must pass a check first. */
  alpha: z.boolean(),
  /** Vigil extension `masquerade`: SNAT forwarded traffic, for real servers that do not route back via the director. */
  masquerade: z.boolean(),
  sorryServer: z.object({ ip: Ipv4, port: Port }).optional(),
  realServers: z.array(RealServer).min(1),
});
export type VirtualService = z.infer<typeof VirtualService>;

/** How a real server is named in live sets, messages and ipvsadm: `ip:port`. */
export const serverKey = (rs: { ip: string; port: number }): string => `${rs.ip}:${rs.port}`;
