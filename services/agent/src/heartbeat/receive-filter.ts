// The checks a received datagram passes before it counts as a heartbeat, in order:
// signature, cluster, sender, replay window. Pure, so every drop reason can be tested without sockets.
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { decodePacket, type HeartbeatPacket } from "@vigil/shared/heartbeat/packet";
import { checkReplay, type ReplayWindows } from "@vigil/shared/heartbeat/replay-window";
import type { PacketDropReason } from "./worker-protocol.js";

export interface FilterContext {
  self: string;
  cluster: string;
  nodes: ReadonlySet<string>;
  authKeys: Pick<AuthKeys, "keys">;
  allowCrc: boolean;
}

export interface FilterState {
  windows: ReplayWindows;
  /** Each peer's last payload as JSON, to report only changes. */
  payloads: Readonly<Record<string, string>>;
}

export type FilterOutcome =
  | {
      kind: "accept";
      /** The packet, its payload unwrapped to what the peer's main thread set. */
      packet: HeartbeatPacket;
      payloadChanged: boolean;
      /** How long before sending the peer had last heard this node (null: it does not hear us;
       *  undefined: it sent no report). */
      heardUsAgoMs: number | null | undefined;
    }
  | { kind: "duplicate" }
  | { kind: "drop"; reason: PacketDropReason };

export const emptyFilterState = (): FilterState => ({ windows: {}, payloads: {} });

export function admitPacket(
  state: FilterState,
  bytes: Uint8Array,
  ctx: FilterContext,
): { state: FilterState; outcome: FilterOutcome } {
  const drop = (reason: PacketDropReason) => ({ state, outcome: { kind: "drop", reason } as const });
  const d = decodePacket(bytes, ctx.authKeys, { allowCrc: ctx.allowCrc });
  if (!d.ok) return drop(d.reason);
  const p = d.packet;
  if (p.cluster !== ctx.cluster) return drop("wrong-cluster");
  // Our own packets come back through multicast loop and broadcast; heartbeat ignores them too.
  if (p.node === ctx.self) return drop("self");
  if (!ctx.nodes.has(p.node)) return drop("unknown-node");
  const r = checkReplay(state.windows, p.node, p.generation, p.seq);
  if (r.result.verdict === "stale") return drop("stale");
  if (r.result.verdict === "replay") {
    return r.result.duplicate ? { state, outcome: { kind: "duplicate" } } : drop("replay");
  }
  const { payload, heard } = unwrapHeartbeatPayload(p.payload);
  const heardUsAgoMs = heard === undefined ? undefined : typeof heard[ctx.self] === "number" ? heard[ctx.self]! : null;
  const json = JSON.stringify(payload);
  // Only the newest packet of a peer speaks for its state. A late one (reordered on another medium,
  // or by jitter) is still proof of life, but its payload is older than the one already applied: it
  // could say a group is free that the peer has just taken.
  const newest = r.windows[p.node]?.highest === p.seq;
  const payloadChanged = newest && state.payloads[p.node] !== json;
  const payloads = payloadChanged ? { ...state.payloads, [p.node]: json } : state.payloads;
  return { state: { windows: r.windows, payloads }, outcome: { kind: "accept", packet: { ...p, payload }, payloadChanged, heardUsAgoMs } };
}

/** What a worker sends: the main thread's payload, and how long ago it last heard each peer (`a`,
 *  ms) — stamped per packet by the worker, and kept out of the payload's change detection. */
export interface HeartbeatEnvelope {
  a: Record<string, number>;
  p: unknown;
}

export function wrapHeartbeatPayload(payload: unknown, heardAgo: Record<string, number>): HeartbeatEnvelope {
  return { a: heardAgo, p: payload };
}

export function unwrapHeartbeatPayload(x: unknown): { payload: unknown; heard: Record<string, number> | undefined } {
  if (x && typeof x === "object" && "a" in x && "p" in x) {
    const { a, p } = x as { a: unknown; p: unknown };
    if (a && typeof a === "object" && !Array.isArray(a)) return { payload: p, heard: a as Record<string, number> };
  }
  return { payload: x, heard: undefined };
}
