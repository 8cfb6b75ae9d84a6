// The checks a received datagram passes at the edge, in order: signature, cluster, sender (a TAKEN
// answer, this node's own name, a configured peer). What passes goes to the heartbeat loop
// (@vigil/shared/heartbeat/heartbeat-loop), whose admit rules (admit.ts: a second agent in a peer's
// name, the replay window, the newest payload) decide the rest. Pure, so every drop reason can be
// tested without sockets.
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { decodePacket, type HeartbeatPacket } from "@vigil/shared/heartbeat/packet";
import type { PacketDropReason } from "@vigil/shared/heartbeat/admit";
import { envelopeFlags, takenFlag } from "@vigil/shared/heartbeat/envelope";
import type { LoopInput, RejectedSender } from "@vigil/shared/heartbeat/heartbeat-loop";

export { PROBE_ENVELOPE, takenEnvelope, wrapHeartbeatPayload } from "@vigil/shared/heartbeat/envelope";

export interface FilterContext {
  self: string;
  /** This agent's generation: a packet in this node's name with another one is a second agent. */
  generation?: number;
  cluster: string;
  nodes: ReadonlySet<string>;
  authKeys: Pick<AuthKeys, "keys">;
  allowCrc: boolean;
}

/** A packet in this node's own name from another agent (another generation): a second agent runs,
 *  or is starting, as this node. `probing`: it is still listening before announcing itself;
 *  `announcedMs`: how long it has announced itself (null: it does not say). */
export type SameName = { kind: "same-name"; generation: number; probing: boolean; announcedMs: number | null };

export type Screened = { kind: "peer"; packet: HeartbeatPacket } | SameName | { kind: "drop"; reason: PacketDropReason };

/** The edge's checks on a datagram. */
export function screenPacket(bytes: Uint8Array, ctx: FilterContext): Screened {
  const d = decodePacket(bytes, ctx.authKeys, { allowCrc: ctx.allowCrc });
  if (!d.ok) return { kind: "drop", reason: d.reason };
  return screenDecoded(d.packet, ctx);
}

/** The edge's checks after the signature: cluster and sender. */
export function screenDecoded<P extends Omit<HeartbeatPacket, "keyIndex">>(
  p: P,
  ctx: Pick<FilterContext, "self" | "generation" | "cluster" | "nodes">,
): { kind: "peer"; packet: P } | SameName | { kind: "drop"; reason: PacketDropReason } {
  const drop = (reason: PacketDropReason) => ({ kind: "drop", reason }) as const;
  if (p.cluster !== ctx.cluster) return drop("wrong-cluster");
  const taken = takenFlag(p.payload);
  if (taken) {
    // A peer's answer to a probe: the name is taken by another generation (peer-twins.ts).
    if (taken.node === ctx.self && ctx.generation !== undefined && taken.generation !== ctx.generation) {
      return { kind: "same-name", generation: taken.generation, probing: false, announcedMs: null };
    }
    return drop("probe");
  }
  // Our own packets come back through multicast loop and broadcast; heartbeat ignores them too.
  if (p.node === ctx.self) {
    if (ctx.generation === undefined || p.generation === ctx.generation) return drop("self");
    const e = envelopeFlags(p.payload);
    return { kind: "same-name", generation: p.generation, probing: e.probing, announcedMs: e.announcedMs };
  }
  if (envelopeFlags(p.payload).probing && !ctx.nodes.has(p.node)) return drop("probe");
  if (!ctx.nodes.has(p.node)) return drop("unknown-node");
  return { kind: "peer", packet: p };
}

/** The edge's verdict as the heartbeat loop's input (`medium` and `from`: where it was read). */
export function loopInput(s: ReturnType<typeof screenDecoded>, medium: string, from: string, rejected?: RejectedSender): LoopInput {
  if (s.kind === "peer") return { kind: "heard", packet: s.packet, medium, from };
  if (s.kind === "same-name") return { kind: "same-name", generation: s.generation, probing: s.probing, announcedMs: s.announcedMs, from };
  return { kind: "dropped", reason: s.reason, ...(rejected ? { rejected } : {}) };
}
