// The parsed form of heartbeat's three files (ha.cf, authkeys, haresources), validated with zod.
// Parsers in this folder turn text into these shapes and report `file:line: problem` on bad input.
import { z } from "zod";

/** A duration in milliseconds (ha.cf accepts seconds, or milliseconds with an `ms` suffix). */
export const Millis = z.number().int().nonnegative();

export const Medium = z.discriminatedUnion("kind", [
  /** `mcast dev group port ttl loop` */
  z.object({
    kind: z.literal("mcast"),
    dev: z.string().min(1),
    group: z.string(),
    port: z.number().int().min(1).max(65535),
    ttl: z.number().int().min(1).max(255),
    loop: z.boolean(),
  }),
  /** `bcast dev [dev…]` (one medium per device), on `udpport` */
  z.object({ kind: z.literal("bcast"), dev: z.string().min(1), port: z.number().int().min(1).max(65535) }),
  /** `ucast dev peer-address`, on `udpport`. The address may carry `:port` (a Vigil extension, for loopback clusters). */
  z.object({
    kind: z.literal("ucast"),
    dev: z.string().min(1),
    peer: z.string(),
    port: z.number().int().min(1).max(65535),
  }),
]);
export type Medium = z.infer<typeof Medium>;

export const AutoFailback = z.enum(["on", "off", "legacy"]);
export type AutoFailback = z.infer<typeof AutoFailback>;

/** A fence agent of the fence_* family, run through its stdin interface (hacf-fence.ts). */
export const FenceAgentSpec = z.object({
  /** The agent: a path, or a name looked up in PATH, /usr/sbin and /sbin. */
  agent: z.string().min(1),
  /** The operator's key=value parameters (ipaddr, login, passwd…), sent as written. */
  params: z.record(z.string(), z.string()),
  /** `action=`: off, or reboot (Pacemaker's stonith-action default). */
  action: z.enum(["off", "reboot"]),
  /** `pcmk_host_argument`: the key that names the victim (default plug). */
  hostArgument: z.enum(["plug", "port", "nodename"]),
  /** `pcmk_host_map=NODE:PLUG;…`: the plug of each node; a node not in it is its own plug. */
  hostMap: z.record(z.string(), z.string()),
});
export type FenceAgentSpec = z.infer<typeof FenceAgentSpec>;

export const HaCf = z.object({
  /** Vigil extension `cluster NAME`: names the JetStream stream; default "vigil". */
  cluster: z.string().regex(/^[A-Za-z0-9_-]+$/),
  keepaliveMs: Millis,
  warntimeMs: Millis,
  deadtimeMs: Millis,
  initdeadMs: Millis,
  udpport: z.number().int().min(1).max(65535),
  media: z.array(Medium).min(1),
  nodes: z.array(z.string().min(1)).min(1),
  /** `ping` witnesses (heartbeat's ping nodes): addresses that count toward quorum in two-node clusters. */
  pingNodes: z.array(z.string()),
  autoFailback: AutoFailback,
  /** Vigil extension `nats URL [URL…]`. Empty: the agent starts a local nats-server. */
  nats: z.array(z.string()),
  /** Vigil extension `bind ADDRESS[:PORT]`: the local address heartbeats are sent from and received on
   *  (needed when several agents share one host, as in the loopback demo). */
  bind: z.string().optional(),
  /** Vigil extension `fence COMMAND…`: the fence agent, run with the victim's node name appended. */
  fence: z.array(z.string()).optional(),
  /** Vigil extension `fence_agent fence_NAME key=value…` (or `fence fence_NAME key=value…`): a
   *  fence_* agent run through its stdin interface. Set instead of `fence`, never with it. */
  fenceAgent: FenceAgentSpec.optional(),
  /** Vigil extension `require_fencing on|off` (default off): the groups of a node that died holding
   *  them wait until it is fenced (by the fence agent, or `vigil node confirm-fenced`) or seen stopped,
   *  instead of being started elsewhere once its lease has run out. */
  requireFencing: z.boolean().optional(),
  /** Vigil extension `tiebreaker nats`: in a two-node cluster, a node that does not hear its peer
   *  keeps or takes groups only while it holds the cluster's lease on the NATS servers (the arbiter). */
  tiebreaker: z.literal("nats").optional(),
  /** Accepted and kept for heartbeat compatibility; Vigil logs pino JSON to stderr. */
  logfile: z.string().optional(),
  debugfile: z.string().optional(),
  logfacility: z.string().optional(),
  debug: z.number().int().optional(),
  /** Vigil extension `allow_crc yes|no`: accept authkeys' unsigned `crc` method (default no). */
  allowCrc: z.boolean(),
  /** heartbeat directives that mean nothing to Vigil (`respawn`, `apiauth`, `compression`…): accepted
   *  so that heartbeat's files work unchanged, and listed here so that `vigil config check` shows them. */
  ignored: z.array(z.object({ line: z.number().int().positive(), directive: z.string() })).optional(),
});
export type HaCf = z.infer<typeof HaCf>;

export const AuthMethod = z.enum(["sha256", "sha1", "md5", "crc"]);
export type AuthMethod = z.infer<typeof AuthMethod>;

export const AuthKeys = z.object({
  /** The key index in use (`auth N`). */
  active: z.number().int().min(1).max(15),
  method: AuthMethod,
  key: z.string(),
  /** Every key line, so that a rolling key change can accept packets signed with another index. */
  keys: z.record(z.string(), z.object({ method: AuthMethod, key: z.string() })),
});
export type AuthKeys = z.infer<typeof AuthKeys>;

/** One resource as written in haresources: `name::arg1::arg2`, or a bare IP address (= IPaddr). */
export const ResourceSpec = z.object({
  /** The text as written, e.g. `IPaddr::198.51.100.10/24/eth0`; also the resource id. */
  id: z.string().min(1),
  /** Agent name: `IPaddr`, `Filesystem`, `drbddisk`, `ocf:heartbeat:IPaddr2`, or a script name. */
  agent: z.string().min(1),
  args: z.array(z.string()),
});
export type ResourceSpec = z.infer<typeof ResourceSpec>;

export const GroupSpec = z.object({
  /** heartbeat's key for the group: its first resource as written (or `group=NAME`, a Vigil extension). */
  id: z.string().min(1),
  preferredNode: z.string().min(1),
  resources: z.array(ResourceSpec).min(1),
  /** Line in haresources where the group starts, for messages. */
  line: z.number().int().positive(),
});
export type GroupSpec = z.infer<typeof GroupSpec>;

export const ClusterConfig = z.object({
  dir: z.string(),
  haCf: HaCf,
  authKeys: AuthKeys,
  groups: z.array(GroupSpec),
});
export type ClusterConfig = z.infer<typeof ClusterConfig>;
