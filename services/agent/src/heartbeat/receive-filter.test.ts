import { describe, expect, it } from "vitest";
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { admitPacket, emptyFilterState, lossReport, PROBE_ENVELOPE, takenEnvelope, worstLinkLoss, wrapHeartbeatPayload, type FilterContext, type FilterState } from "./receive-filter.js";

const auth: AuthKeys = { active: 1, method: "sha256", key: "k", keys: { "1": { method: "sha256", key: "k" } } };
const ctx: FilterContext = { self: "n1", cluster: "c1", nodes: new Set(["n1", "n2"]), authKeys: auth, allowCrc: false, nowMs: 0, quietMs: 0 };

function packet(over: Partial<{ node: string; cluster: string; generation: number; seq: number; payload: unknown }> = {}, a = auth) {
  const r = encodePacket({ node: "n2", cluster: "c1", generation: 1, seq: 1, payload: null, ...over }, a);
  if (!r.ok) throw new Error(r.reason);
  return r.bytes;
}

function run(packets: Buffer[], state: FilterState = emptyFilterState()) {
  return packets.map((p) => {
    const r = admitPacket(state, p, ctx);
    state = r.state;
    return r.outcome.kind === "drop" ? r.outcome.reason : r.outcome.kind;
  });
}

describe("receive filter", () => {
  it("accepts a signed packet from a configured peer", () => {
    expect(run([packet()])).toEqual(["accept"]);
  });

  it("names each reason a packet is dropped for", () => {
    const otherKey: AuthKeys = { ...auth, keys: { "1": { method: "sha256", key: "not-k" } } };
    expect(
      run([
        Buffer.from("hello"),
        packet({}, otherKey),
        packet({ cluster: "c2" }),
        packet({ node: "n1" }),
        packet({ node: "n9" }),
      ]),
    ).toEqual(["malformed", "auth", "wrong-cluster", "self", "unknown-node"]);
  });

  it("tells a duplicate from a replay older than the window, and drops stale generations", () => {
    expect(
      run([
        packet({ generation: 2, seq: 100 }),
        packet({ generation: 2, seq: 100 }),
        packet({ generation: 2, seq: 10 }),
        packet({ generation: 1, seq: 500 }),
      ]),
    ).toEqual(["accept", "duplicate", "replay", "stale"]);
  });

  it("reports a peer's payload only when it changes", () => {
    let s = emptyFilterState();
    const changed = [{ a: 1 }, { a: 1 }, { a: 2 }].map((payload, i) => {
      const r = admitPacket(s, packet({ seq: i + 1, payload }), ctx);
      s = r.state;
      return r.outcome.kind === "accept" && r.outcome.payloadChanged;
    });
    expect(changed).toEqual([true, false, true]);
  });

  it("takes a peer's payload only from its newest packet: a late one is life, not news", () => {
    let state = emptyFilterState();
    const changed: unknown[] = [];
    for (const b of [packet({ seq: 24, payload: { r: [] } }), packet({ seq: 25, payload: { r: ["g2"] } }), packet({ seq: 23, payload: { r: [] } })]) {
      const r = admitPacket(state, b, ctx);
      state = r.state;
      if (r.outcome.kind === "accept" && r.outcome.payloadChanged) changed.push(r.outcome.packet.payload);
    }
    expect(changed).toEqual([{ r: [] }, { r: ["g2"] }]);
  });

  it("measures the loss of a peer's packets, and takes what the peer says it loses of ours from its newest packet", () => {
    let state = emptyFilterState();
    // n2 sends seq 1..10 with 3 and 7 lost; its packets say it loses 25% of n1's, a late one 50%.
    for (const seq of [1, 2, 4, 5, 6, 8, 9, 10]) state = admitPacket(state, packet({ seq, payload: wrapHeartbeatPayload(null, { n1: 5 }, { n1: 25 }) }), ctx).state;
    state = admitPacket(state, packet({ seq: 3, payload: wrapHeartbeatPayload(null, { n1: 5 }, { n1: 50 }) }), ctx).state;
    expect(lossReport(state, ["n2"])).toEqual({ n2: 10 });
    expect(state.lossOfUs).toEqual({ n2: 25 });
    expect(worstLinkLoss(state, ["n2"])).toBeCloseTo(0.25);
    // Only peers heard lately count; a clean link is not reported at all (`l` stays off the wire).
    expect(worstLinkLoss(state, [])).toBe(0);
    expect(wrapHeartbeatPayload(null, {}, {})).toEqual({ a: {}, p: null });
  });

  it("a packet in this node's own name from another generation is a second agent; a starting agent's probe is dropped by the peers", () => {
    const mine: FilterContext = { ...ctx, generation: 5 };
    const own = (generation: number, payload: unknown) => admitPacket(emptyFilterState(), packet({ node: "n1", generation, payload }), mine).outcome;
    expect(own(5, wrapHeartbeatPayload(null, {}))).toEqual({ kind: "drop", reason: "self" });
    expect(own(6, PROBE_ENVELOPE)).toEqual({ kind: "same-name", generation: 6, probing: true, announcedMs: null });
    expect(own(4, wrapHeartbeatPayload(null, {}, {}, 1234.4))).toEqual({ kind: "same-name", generation: 4, probing: false, announcedMs: 1234 });
    // At a peer, the probe neither counts as heard nor moves n2's generation on.
    const r = admitPacket(emptyFilterState(), packet({ generation: 9, payload: PROBE_ENVELOPE }), ctx);
    expect(r.outcome).toEqual({ kind: "drop", reason: "probe" });
    expect(r.state.windows).toEqual({});
  });

  describe("two agents in one peer's name", () => {
    const at = (nowMs: number): FilterContext => ({ ...ctx, nowMs, quietMs: 200 });
    function feed(steps: Array<[ms: number, generation: number, seq: number]>) {
      let state = emptyFilterState();
      return steps.map(([ms, generation, seq]) => {
        const r = admitPacket(state, packet({ generation, seq, payload: { g: generation } }), at(ms));
        state = r.state;
        const o = r.outcome;
        return { verdict: o.kind === "drop" ? o.reason : o.kind, dup: o.kind === "accept" || o.kind === "drop" ? o.peerDuplicate : undefined, state };
      });
    }

    it("a newer generation while the older one still speaks is a second agent: refused, the first keeps the name, reported once", () => {
      const r = feed([
        [0, 1, 1],
        [100, 5, 1], // newcomer
        [100, 1, 2], // the one there first speaks on
        [200, 5, 2],
        [300, 1, 3],
        [350, 5, 3],
      ]);
      expect(r.map((x) => x.verdict)).toEqual(["accept", "duplicate-node", "accept", "duplicate-node", "accept", "duplicate-node"]);
      expect(r.map((x) => x.dup)).toEqual([undefined, { peer: "n2", generation: 5, keptGeneration: 1 }, undefined, undefined, undefined, undefined]);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(1);
    });

    it("a restart (the old generation quiet) is accepted at once, and its replays stay stale", () => {
      const r = feed([
        [0, 1, 1],
        [100, 1, 2],
        [700, 2, 1], // restarted after its listen: generation 1 quiet for 600 ms
        [750, 1, 2], // a replay of the old generation: not newer than its last, so not a second agent
        [800, 2, 2],
      ]);
      expect(r.map((x) => x.verdict)).toEqual(["accept", "accept", "accept", "stale", "accept"]);
      expect(r.every((x) => x.dup === undefined)).toBe(true);
    });

    it("a newcomer let in while the first one's packets were lost is undone by the first one's next packet", () => {
      const r = feed([
        [0, 1, 7],
        [500, 5, 1], // generation 1's packets lost for 500 ms: taken for a restart
        [550, 1, 12], // generation 1 speaks on, a newer seq than its last: no restart happened
        [600, 5, 2],
        [650, 1, 13],
      ]);
      expect(r.map((x) => x.verdict)).toEqual(["accept", "accept", "accept", "duplicate-node", "accept"]);
      expect(r[2]!.dup).toEqual({ peer: "n2", generation: 5, keptGeneration: 1 });
      expect(r[3]!.dup).toBeUndefined();
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(1);
      // The first one's state is what counts again.
      expect(r.at(-1)!.state.payloads["n2"]).toBe(JSON.stringify({ g: 1 }));
    });

    it("a probe for a name whose agent still speaks is answered and reported once; a restart's probe (old one quiet) is only dropped", () => {
      let state = emptyFilterState();
      state = admitPacket(state, packet({ generation: 1, seq: 1 }), at(0)).state;
      const probe = (ms: number, generation: number) => {
        const r = admitPacket(state, packet({ generation, seq: 1, payload: PROBE_ENVELOPE }), at(ms));
        state = r.state;
        return r.outcome;
      };
      const dup = { peer: "n2", generation: 3, keptGeneration: 1 };
      expect(probe(50, 3)).toEqual({ kind: "drop", reason: "probe", answerProbe: dup, peerDuplicate: dup });
      expect(probe(100, 3)).toEqual({ kind: "drop", reason: "probe", answerProbe: dup });
      expect(probe(900, 4)).toEqual({ kind: "drop", reason: "probe" });
      expect(state.windows["n2"]!.generation).toBe(1);
    });

    it("the prober takes a peer's answer for its own name as another agent of its name; others drop it", () => {
      const answer = packet({ node: "n2", payload: takenEnvelope("n1", 7) });
      expect(admitPacket(emptyFilterState(), answer, { ...ctx, generation: 9 }).outcome).toEqual({ kind: "same-name", generation: 7, probing: false, announcedMs: null });
      expect(admitPacket(emptyFilterState(), answer, { ...ctx, self: "n3", nodes: new Set(["n1", "n2", "n3"]), generation: 9 }).outcome).toEqual({ kind: "drop", reason: "probe" });
    });

    it("once the first one has gone quiet, the newcomer is taken as its restart", () => {
      const r = feed([
        [0, 1, 1],
        [100, 5, 1],
        [150, 1, 2],
        [700, 5, 9], // generation 1 quiet for 550 ms
      ]);
      expect(r.map((x) => x.verdict)).toEqual(["accept", "duplicate-node", "accept", "accept"]);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(5);
      expect(r.at(-1)!.state.refused).toEqual({});
    });
  });
});
