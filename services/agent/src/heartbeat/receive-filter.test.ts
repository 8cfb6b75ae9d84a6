import { describe, expect, it } from "vitest";
import type { AuthKeys } from "@vigil/shared/config/schemas";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { admitPacket, emptyFilterState, lossReport, PROBE_ENVELOPE, takenEnvelope, worstLinkLoss, wrapHeartbeatPayload, type FilterContext, type FilterState } from "./receive-filter.js";

const auth: AuthKeys = { active: 1, method: "sha256", key: "k", keys: { "1": { method: "sha256", key: "k" } } };
const ctx: FilterContext = { self: "n1", cluster: "c1", nodes: new Set(["n1", "n2"]), authKeys: auth, allowCrc: false };

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

  describe("two agents in one peer's name (peer-twins.ts): judged by the order of their packets", () => {
    const RELEASE = 600;
    const at = (nowMs: number): FilterContext => ({ ...ctx, nowMs, releaseMs: RELEASE });
    /** [ms, generation, seq, "p" for a probe]: each packet's verdict, report and TAKEN answer. */
    function feed(steps: Array<[ms: number, generation: number, seq: number, probe?: "p"]>) {
      let state = emptyFilterState();
      return steps.map(([ms, generation, seq, probe]) => {
        const r = admitPacket(state, packet({ generation, seq, payload: probe ? PROBE_ENVELOPE : { g: generation } }), at(ms));
        state = r.state;
        const o = r.outcome;
        return {
          verdict: o.kind === "drop" ? o.reason : o.kind,
          dup: o.kind === "drop" ? o.peerDuplicate : undefined,
          taken: o.kind === "drop" ? o.answerProbe : undefined,
          reinstated: o.kind === "accept" ? o.reinstated : undefined,
          state,
        };
      });
    }
    const verdicts = (r: ReturnType<typeof feed>) => r.map((x) => x.verdict);
    const nothingSaid = (r: ReturnType<typeof feed>) => r.every((x) => x.dup === undefined && x.taken === undefined && x.reinstated === undefined);

    it("a restart is taken however soon it speaks after the old generation's last packet: probes only dropped, its heartbeat accepted", () => {
      // The same millisecond throughout: a kill -9 and an immediate restart, a long keepalive, or this
      // node reading its socket late. (With a "heard lately" window, the restart's probes were answered
      // TAKEN and it refused to start.)
      const r = feed([
        [0, 1, 1],
        [0, 1, 2],
        [0, 2, 1, "p"],
        [0, 2, 2, "p"],
        [0, 2, 3, "p"],
        [0, 2, 4],
        [0, 1, 2], // a replay of the old generation
        [0, 2, 5],
      ]);
      expect(verdicts(r)).toEqual(["accept", "accept", "probe", "probe", "probe", "accept", "stale", "accept"]);
      expect(nothingSaid(r)).toBe(true);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(2);
    });

    it("the dead agent's last packets, read after the restart's first (another medium's socket), count once: still a restart", () => {
      const r = feed([
        [0, 1, 5],
        [0, 2, 1, "p"],
        [0, 1, 6], // read late from another socket
        [0, 1, 7], // same burst: the restart did not speak in between
        [0, 2, 2, "p"],
        [0, 2, 3],
        [0, 1, 7], // a copy on a third medium: no newer seq
        [0, 2, 4],
      ]);
      expect(verdicts(r)).toEqual(["accept", "probe", "accept", "accept", "probe", "accept", "stale", "accept"]);
      expect(nothingSaid(r)).toBe(true);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(2);
    });

    it("a node back after a link loss (same generation, seq far ahead, seconds later) is accepted", () => {
      const r = feed([
        [0, 1, 1],
        [100, 1, 2],
        [4_100, 1, 80],
        [4_200, 1, 81],
      ]);
      expect(verdicts(r)).toEqual(["accept", "accept", "accept", "accept"]);
      expect(nothingSaid(r)).toBe(true);
    });

    it("a second agent (the older generation speaks on between its probes) is answered TAKEN, reported once; its heartbeats drop", () => {
      const r = feed([
        [0, 1, 1],
        [10, 5, 1, "p"], // the newcomer probes
        [100, 1, 2], // the one there first speaks on: 1
        [110, 5, 2, "p"],
        [200, 1, 3], // 2: a second agent
        [210, 5, 3, "p"],
        [310, 5, 4, "p"],
        [400, 5, 5], // announced anyway (the answers lost)
        [400, 1, 4],
      ]);
      expect(verdicts(r)).toEqual(["accept", "probe", "accept", "probe", "accept", "probe", "probe", "duplicate-node", "accept"]);
      const dup = { peer: "n2", generation: 5, keptGeneration: 1 };
      expect(r.map((x) => x.taken)).toEqual([undefined, undefined, undefined, undefined, undefined, dup, dup, undefined, undefined]);
      expect(r.map((x) => x.dup)).toEqual([undefined, undefined, undefined, undefined, undefined, dup, undefined, undefined, undefined]);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(1);
    });

    it("a second agent taken for a restart (its probes unheard) is undone once the older one speaks on twice: reinstated, the newer refused", () => {
      const r = feed([
        [0, 1, 7],
        [50, 5, 1], // taken for n2's restart
        [100, 1, 8], // the older speaks on: 1
        [150, 5, 2],
        [200, 1, 9], // 2: the older is n2 again
        [250, 5, 3],
        [300, 1, 10],
      ]);
      expect(verdicts(r)).toEqual(["accept", "accept", "stale", "accept", "accept", "duplicate-node", "accept"]);
      expect(r.map((x) => x.reinstated)).toEqual([undefined, undefined, undefined, undefined, true, undefined, undefined]);
      expect(r[5]!.dup).toEqual({ peer: "n2", generation: 5, keptGeneration: 1 });
      const last = r.at(-1)!.state;
      expect(last.windows["n2"]).toMatchObject({ generation: 1, highest: 10 });
      // The first one's state is what counts again.
      expect(last.payloads["n2"]).toBe(JSON.stringify({ g: 1 }));
    });

    it("a refused generation is let in once the kept one has been silent for releaseMs (dead to the peers): then it is a restart", () => {
      const r = feed([
        [0, 1, 1],
        [10, 5, 1, "p"],
        [100, 1, 2],
        [110, 5, 2, "p"],
        [200, 1, 3],
        [300, 5, 3], // refused: the kept one spoke 100 ms ago
        [200 + RELEASE - 1, 5, 4],
        [200 + RELEASE, 5, 5], // the kept one silent for releaseMs
        [200 + RELEASE + 100, 5, 6],
      ]);
      expect(verdicts(r)).toEqual(["accept", "probe", "accept", "probe", "accept", "duplicate-node", "duplicate-node", "accept", "accept"]);
      expect(r.at(-1)!.state.windows["n2"]!.generation).toBe(5);
    });

    it("the prober takes a peer's TAKEN for its own name as another agent of its name; others drop it", () => {
      const answer = packet({ node: "n2", payload: takenEnvelope("n1", 7) });
      expect(admitPacket(emptyFilterState(), answer, { ...ctx, generation: 9 }).outcome).toEqual({ kind: "same-name", generation: 7, probing: false, announcedMs: null });
      expect(admitPacket(emptyFilterState(), answer, { ...ctx, self: "n3", nodes: new Set(["n1", "n2", "n3"]), generation: 9 }).outcome).toEqual({ kind: "drop", reason: "probe" });
    });
  });
});
