// Every fact Vigil records is one of these events. They are validated on the way into the outbox and
// on the way out of the log, so a malformed message never reaches the fold.
import { z } from "zod";
import { GROUP_STATES, RESOURCE_STATES } from "../states.js";

export const EVENT_VERSION = 1;

const Envelope = z.object({
  v: z.literal(EVENT_VERSION),
  /** Unique id; also the JetStream msgID, so a retried publish is stored once. */
  id: z.string().min(1).max(128),
  /** The node that recorded the event (for operator commands: the node named by `--as`, or "cli"). */
  node: z.string().min(1),
  /** ISO-8601 time at which the recording node observed the fact. */
  time: z.iso.datetime(),
  /** Why this happened: a short sentence, and the id of the event that caused it when there is one. */
  cause: z.string().default(""),
  causeId: z.string().optional(),
  /** Republished by an agent rebuilding a lost log from what it knew (see LogRestored), not observed anew. */
  restored: z.literal(true).optional(),
});

const ev = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  Envelope.extend({ type: z.literal(type), ...shape });

const Peer = { peer: z.string().min(1) };
const GroupRef = { group: z.string().min(1) };
const ResourceRef = { group: z.string().min(1), resource: z.string().min(1) };
const Op = z.enum(["start", "stop", "monitor", "validate"]);
/** Drop reasons that mean a peer signs with a key this node lacks (packet.ts DropReason). */
const RejectReason = z.enum(["auth", "unknown-key", "crc-refused"]);

export const VigilEvent = z.discriminatedUnion("type", [
  // agent life
  ev("AgentStarted", { generation: z.number().int(), version: z.string(), pid: z.number().int() }),
  ev("AgentStopping", { reason: z.string() }),
  ev("AgentStopped", {}),
  ev("ConfigLoaded", {
    nodes: z.array(z.string()),
    groups: z.array(z.object({ id: z.string(), preferredNode: z.string(), resources: z.array(z.string()) })),
    autoFailback: z.enum(["on", "off", "legacy"]),
    keepaliveMs: z.number(),
    deadtimeMs: z.number(),
    /** What the node runs with, digested (key material left out): nodes whose digests differ show in status. */
    digest: z.string().optional(),
    /** On a reload (SIGHUP): the changes applied now, and those that wait for a restart, with why. */
    changes: z.array(z.string()).optional(),
    pending: z.array(z.string()).optional(),
  }),
  ev("ConfigRejected", { errors: z.array(z.string()) }),
  // membership, as the recording node sees it
  ev("NodeUp", { ...Peer, generation: z.number().int() }),
  ev("NodeLate", { ...Peer, silentMs: z.number() }),
  ev("NodeDead", { ...Peer, silentMs: z.number() }),
  ev("NodeReturned", { ...Peer, generation: z.number().int() }),
  ev("NodeRestarted", { ...Peer, generation: z.number().int(), previousGeneration: z.number().int() }),
  ev("MembershipChanged", { members: z.array(z.string()), quorum: z.boolean() }),
  /** `rejected`: the peers whose packets are rejected for a bad key now (open PeerRejected episodes). */
  ev("PacketsDropped", {
    counts: z.record(z.string(), z.number().int()),
    rejected: z.array(z.object({ peer: z.string(), reason: RejectReason, count: z.number().int() })).optional(),
  }),
  /** A configured peer's packets are dropped here for a bad key (authkeys differ): once per peer and
   *  reason, until its packets are accepted again; `count`: rejected so far (PacketsDropped updates it). */
  ev("PeerRejected", { ...Peer, reason: RejectReason, count: z.number().int() }),
  /** A link to a peer loses heartbeats: `inPercent` of the peer's lost on the way here, `outPercent`
   *  of this node's lost at the peer (as it reports); `copies` heartbeats per keepalive are sent. */
  ev("LinkLossy", { ...Peer, inPercent: z.number(), outPercent: z.number(), copies: z.number().int() }),
  ev("LinkRecovered", Peer),
  /** Another agent was heard in this node's name (another generation, from `from`); `refused`: which
   *  of the two leaves — the newcomer ("other": it exits before announcing; "this": this one). */
  ev("DuplicateNode", {
    otherGeneration: z.number().int(),
    from: z.string(),
    refused: z.enum(["this", "other"]),
    // Recorded by a peer that heard two agents in another node's name: that node, and the generation kept.
    peer: z.string().optional(),
    keptGeneration: z.number().int().optional(),
  }),
  ev("QuorumLost", { members: z.array(z.string()) }),
  ev("QuorumRegained", { members: z.array(z.string()) }),
  /** Two-node `tiebreaker nats`, while the peer is unheard: this node took (or kept) the cluster's
   *  lease, `token` its acquisition revision; or did not (`holder`: who has it, null when the arbiter
   *  did not answer), and so has no quorum. */
  ev("TiebreakerWon", { token: z.number().int(), renewed: z.boolean() }),
  ev("TiebreakerLost", { holder: z.string().nullable(), token: z.number().int().nullable() }),
  // placement and resources
  ev("PlacementDecided", {
    placement: z.record(z.string(), z.string().nullable()),
    reasons: z.record(z.string(), z.string()),
  }),
  /** `tiebreakToken`: the tie-breaker lease's acquisition revision this node held when it started the
   *  group (two-node `tiebreaker nats`): a node that sees a newer token than its own stops the group. */
  ev("GroupStarting", { ...GroupRef, tiebreakToken: z.number().int().optional() }),
  ev("GroupStarted", GroupRef),
  ev("GroupStopping", GroupRef),
  ev("GroupStopped", GroupRef),
  ev("GroupBlocked", { ...GroupRef, reason: z.string() }),
  ev("GroupMoved", { ...GroupRef, from: z.string().nullable(), to: z.string() }),
  ev("ResourceStarting", ResourceRef),
  ev("ResourceStarted", ResourceRef),
  ev("ResourceStopping", ResourceRef),
  ev("ResourceStopped", ResourceRef),
  ev("ResourceFailed", {
    ...ResourceRef,
    op: Op,
    rc: z.number().int(),
    message: z.string(),
    failcount: z.number().int(),
  }),
  // operator commands (written by the CLI; agents act once the log has them)
  ev("StandbyRequested", { target: z.string() }),
  ev("OnlineRequested", { target: z.string() }),
  ev("MoveRequested", { ...GroupRef, target: z.string() }),
  ev("MoveCleared", GroupRef),
  ev("CleanupRequested", GroupRef),
  ev("FailcountCleared", { ...GroupRef, on: z.string() }),
  // fencing
  ev("FenceRequested", { victim: z.string() }),
  /** A fence agent's run (`ok: false` is the failed fence: no separate FenceFailed). `attempt`: its
   *  number since the victim was last fenced, confirmed or heard; `nextAttemptMs`: when the next one
   *  runs after a failure (null: the node gave up). */
  ev("Fenced", {
    victim: z.string(),
    ok: z.boolean(),
    rc: z.number().int(),
    message: z.string(),
    attempt: z.number().int().positive().optional(),
    nextAttemptMs: z.number().int().nullable().optional(),
  }),
  // the event log itself
  ev("StreamUnderReplicated", { stream: z.string(), replicas: z.number().int(), wanted: z.number().int(), reason: z.string() }),
  ev("StreamReplicasRaised", { stream: z.string(), replicas: z.number().int() }),
  // rebuilding a lost log (all `restored`): what a holder runs, the operator state it had folded, and
  // one LogRestored per agent after its share, naming where the new log starts
  ev("GroupRestored", {
    ...GroupRef,
    state: z.enum(GROUP_STATES),
    resources: z.record(z.string(), z.enum(RESOURCE_STATES)),
  }),
  ev("OperatorStateRestored", {
    standby: z.array(z.string()),
    moves: z.record(z.string(), z.string()),
    /** group → resource → node → failcount */
    failcounts: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.number().int()))),
  }),
  ev("LogRestored", {
    /** First seq of the new log; everything before it in the lost stream is gone. */
    fromSeq: z.number().int(),
    /** Last seq this agent had folded of the lost log. */
    lostThrough: z.number().int(),
    lostStreamCreated: z.string().nullable(),
    why: z.string(),
  }),
  /** The operator's word that a node is down or was fenced by hand (`vigil node confirm-fenced`,
   *  as `stonith_admin --confirm`): folded and acted on like a successful Fenced. */
  ev("FenceConfirmed", { victim: z.string() }),
  /** Warning: a group that a dead, unfenced node held was started here on the strength of that
   *  node's lease alone (no fencing required); `victim` may still run it if its lease failed. */
  ev("RecoveredWithoutFencing", { ...GroupRef, victim: z.string() }),
]);
export type VigilEvent = z.infer<typeof VigilEvent>;
export type EventType = VigilEvent["type"];
export type EventOf<T extends EventType> = Extract<VigilEvent, { type: T }>;

/** The payload of an event of type T: everything but the envelope, which `makeEvent` fills in. */
export type EventBody<T extends EventType> = Omit<EventOf<T>, "v" | "type" | "id" | "node" | "time" | "cause" | "causeId" | "restored">;

export const EVENT_TYPES = VigilEvent.options.map((o) => o.shape.type.value) as EventType[];

/** Builds a valid event. `id` and `time` are inputs so the deciding code stays pure. */
export function makeEvent<T extends EventType>(
  type: T,
  body: EventBody<T>,
  meta: { id: string; node: string; time: Date | number; cause?: string; causeId?: string; restored?: boolean },
): EventOf<T> {
  const time = new Date(meta.time).toISOString();
  const raw = { ...body, v: EVENT_VERSION, type, id: meta.id, node: meta.node, time, cause: meta.cause ?? "" };
  if (meta.causeId) Object.assign(raw, { causeId: meta.causeId });
  if (meta.restored) Object.assign(raw, { restored: true });
  return VigilEvent.parse(raw) as EventOf<T>;
}

/** The JetStream subject an event is published on: `vigil.<cluster>.ev.<type>.<node>`. */
export function eventSubject(cluster: string, e: Pick<VigilEvent, "type" | "node">): string {
  return `vigil.${cluster}.ev.${e.type}.${subjectToken(e.node)}`;
}

export const streamName = (cluster: string) => `VIGIL_${cluster.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
export const streamSubjects = (cluster: string) => [`vigil.${cluster}.ev.>`];

/** Node names may hold dots (FQDNs); NATS subject tokens may not. */
export const subjectToken = (s: string) => s.replace(/[.*> ]/g, "_");
