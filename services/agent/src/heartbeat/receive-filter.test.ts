import { describe, expect, it } from "vitest";
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { PROBE_ENVELOPE, screenPacket, takenEnvelope, wrapHeartbeatPayload, type FilterContext } from "./receive-filter.js";

// The edge's checks on a datagram, as the heartbeat worker runs them (screenPacket); what passes goes
// to the heartbeat loop's admit rules (@vigil/shared/heartbeat/admit.test.ts).
const auth: AuthKeys = { active: 1, method: "sha256", key: "k", keys: { "1": { method: "sha256", key: "k" } } };
const ctx: FilterContext = { self: "n1", cluster: "c1", nodes: new Set(["n1", "n2"]), authKeys: auth, allowCrc: false };

function packet(over: Partial<{ node: string; cluster: string; generation: number; seq: number; payload: unknown }> = {}, a = auth) {
  const r = encodePacket({ node: "n2", cluster: "c1", generation: 1, seq: 1, payload: null, ...over }, a);
  if (!r.ok) throw new Error(r.reason);
  return r.bytes;
}

const verdict = (bytes: Buffer, c: FilterContext = ctx) => {
  const s = screenPacket(bytes, c);
  return s.kind === "drop" ? s.reason : s.kind;
};

describe("receive filter", () => {
  it("passes a signed packet from a configured peer on to the loop", () => {
    expect(verdict(packet())).toEqual("peer");
  });

  it("names each reason a packet is dropped for", () => {
    const otherKey: AuthKeys = { ...auth, keys: { "1": { method: "sha256", key: "not-k" } } };
    expect([Buffer.from("hello"), packet({}, otherKey), packet({ cluster: "c2" }), packet({ node: "n1" }), packet({ node: "n9" })].map((b) => verdict(b))).toEqual([
      "malformed",
      "auth",
      "wrong-cluster",
      "self",
      "unknown-node",
    ]);
  });

  it("a packet in this node's own name from another generation is a second agent", () => {
    const mine: FilterContext = { ...ctx, generation: 5 };
    const own = (generation: number, payload: unknown) => screenPacket(packet({ node: "n1", generation, payload }), mine);
    expect(own(5, wrapHeartbeatPayload(null, {}))).toEqual({ kind: "drop", reason: "self" });
    expect(own(6, PROBE_ENVELOPE)).toEqual({ kind: "same-name", generation: 6, probing: true, announcedMs: null });
    expect(own(4, wrapHeartbeatPayload(null, {}, {}, 1234.4))).toEqual({ kind: "same-name", generation: 4, probing: false, announcedMs: 1234 });
  });

  it("the prober takes a peer's TAKEN for its own name as another agent of its name; others drop it", () => {
    const answer = packet({ node: "n2", payload: takenEnvelope("n1", 7) });
    expect(screenPacket(answer, { ...ctx, generation: 9 })).toEqual({ kind: "same-name", generation: 7, probing: false, announcedMs: null });
    expect(screenPacket(answer, { ...ctx, self: "n3", nodes: new Set(["n1", "n2", "n3"]), generation: 9 })).toEqual({ kind: "drop", reason: "probe" });
  });
});
