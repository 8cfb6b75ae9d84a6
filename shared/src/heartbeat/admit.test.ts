import { describe, expect, it } from "vitest";
import { admitHeard, emptyFilterState, lossReport, worstLinkLoss, type AdmitContext, type FilterState, type WirePacket } from "./admit.js";
import { PROBE_ENVELOPE, wrapHeartbeatPayload } from "./envelope.js";
import { nodeReport } from "./node-report.js";

// The rules a packet of a configured peer goes through inside the heartbeat loop, after the edge's
// checks (the agent's receive-filter.ts): on decoded packets, as the loop is handed them.
const ctx: AdmitContext = { self: "n1" };

const packet = (over: Partial<WirePacket> = {}): WirePacket => ({ node: "n2", cluster: "c1", generation: 1, seq: 1, payload: null, ...over });

function run(packets: WirePacket[], state: FilterState = emptyFilterState()) {
  return packets.map((p) => {
    const r = admitHeard(state, p, ctx);
    state = r.state;
    return r.outcome.kind === "drop" ? r.outcome.reason : r.outcome.kind;
  });
}

describe("admitting a peer's packet", () => {
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
    const changed = [{ r: ["g1"], b: [] }, { r: ["g1"], b: [] }, { r: [], b: ["g1"] }].map((payload, i) => {
      const r = admitHeard(s, packet({ seq: i + 1, payload }), ctx);
      s = r.state;
      return r.outcome.kind === "accept" && r.outcome.payloadChanged;
    });
    expect(changed).toEqual([true, false, true]);
  });

  it("takes a peer's payload only from its newest packet: a late one is life, not news", () => {
    let state = emptyFilterState();
    const changed: unknown[] = [];
    for (const b of [packet({ seq: 24, payload: { r: [], b: [] } }), packet({ seq: 25, payload: { r: ["g2"], b: [] } }), packet({ seq: 23, payload: { r: [], b: [] } })]) {
      const r = admitHeard(state, b, ctx);
      state = r.state;
      if (r.outcome.kind === "accept" && r.outcome.payloadChanged) changed.push(r.outcome.report);
    }
    expect(changed).toEqual([nodeReport(), nodeReport({ running: ["g2"] })]);
  });

  it("measures the loss of a peer's packets, and takes what the peer says it loses of ours from its newest packet", () => {
    let state = emptyFilterState();
    // n2 sends seq 1..10 with 3 and 7 lost; its packets say it loses 25% of n1's, a late one 50%.
    for (const seq of [1, 2, 4, 5, 6, 8, 9, 10]) state = admitHeard(state, packet({ seq, payload: wrapHeartbeatPayload(null, { n1: 5 }, { n1: 25 }) }), ctx).state;
    state = admitHeard(state, packet({ seq: 3, payload: wrapHeartbeatPayload(null, { n1: 5 }, { n1: 50 }) }), ctx).state;
    expect(lossReport(state, ["n2"])).toEqual({ n2: 10 });
    expect(state.lossOfUs).toEqual({ n2: 25 });
    expect(worstLinkLoss(state, ["n2"])).toBeCloseTo(0.25);
    // Only peers heard lately count; a clean link is not reported at all (`l` stays off the wire).
    expect(worstLinkLoss(state, [])).toBe(0);
    expect(wrapHeartbeatPayload(null, {}, {})).toEqual({ a: {}, p: null });
  });

  it("a starting agent's probe is dropped: it neither counts as heard nor moves the peer's generation on", () => {
    const r = admitHeard(emptyFilterState(), packet({ generation: 9, payload: PROBE_ENVELOPE }), ctx);
    expect(r.outcome).toEqual({ kind: "drop", reason: "probe" });
    expect(r.state.windows).toEqual({});
  });

  describe("two agents in one peer's name (peer-twins.ts): judged by the order of their packets", () => {
    const RELEASE = 600;
    const at = (nowMs: number): AdmitContext => ({ ...ctx, nowMs, releaseMs: RELEASE });
    /** [ms, generation, seq, "p" for a probe]: each packet's verdict, report and TAKEN answer. */
    function feed(steps: Array<[ms: number, generation: number, seq: number, probe?: "p"]>) {
      let state = emptyFilterState();
      return steps.map(([ms, generation, seq, probe]) => {
        const r = admitHeard(state, packet({ generation, seq, payload: probe ? PROBE_ENVELOPE : { r: [`g${generation}`], b: [] } }), at(ms));
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
      expect(last.payloads["n2"]).toBe(JSON.stringify(nodeReport({ running: ["g1"] })));
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
  });
});
