import { describe, expect, it } from "vitest";
import { admitHeard, emptyFilterState, type WirePacket } from "./admit.js";
import { wrapHeartbeatPayload } from "./envelope.js";
import { decodeNodeReport, encodeNodeReport, nodeReport } from "./node-report.js";

const packet = (payload: unknown, seq = 1): WirePacket => ({ node: "n2", cluster: "c1", generation: 1, seq, payload });

describe("a node's report on the wire", () => {
  it("decodes the short keys into named fields", () => {
    const wire = { r: ["web"], b: ["db"], u: ["n1"], h: ["n1", "n3"], v: { n3: ["mail"] }, f: [{ n: "n4", g: 7 }, { n: "n5", g: null }], nq: true };
    expect(decodeNodeReport(wire)).toEqual({
      ok: true,
      report: {
        running: ["web"],
        blocked: ["db"],
        probing: [],
        vouchesFor: ["n1"],
        hears: ["n1", "n3"],
        peersRunning: { n3: ["mail"] },
        fenced: [
          { node: "n4", generation: 7 },
          { node: "n5", generation: null },
        ],
        noQuorum: true,
        inputsSeq: null,
        heardInputsSeq: null,
        choices: null,
      },
    });
  });

  it("says which groups a just-started agent has not probed yet, only while there are any", () => {
    const r = nodeReport({ probing: ["web", "db"] });
    expect(encodeNodeReport(r)).toMatchObject({ p: ["web", "db"] });
    expect(decodeNodeReport(encodeNodeReport(r))).toEqual({ ok: true, report: r });
    expect("p" in encodeNodeReport(nodeReport())).toBe(false);
  });

  it("carries what a node's starts rest on: its fold of the placement inputs, the farthest heard of (only when it differs), where it places the groups no node holds", () => {
    const r = nodeReport({ inputsSeq: 12, heardInputsSeq: 12, choices: {} });
    expect(JSON.stringify(encodeNodeReport(r))).toBe('{"r":[],"b":[],"h":[],"v":{},"is":12,"c":{}}');
    expect(decodeNodeReport(encodeNodeReport(r))).toEqual({ ok: true, report: r });
    const behind = nodeReport({ inputsSeq: 3, heardInputsSeq: 12, choices: { web: "n2" } });
    expect(encodeNodeReport(behind)).toMatchObject({ is: 3, ih: 12, c: { web: "n2" } });
    expect(decodeNodeReport(encodeNodeReport(behind))).toEqual({ ok: true, report: behind });
    // Placing nothing (no quorum, initdead) is not the same as placing no group: no `c` at all.
    expect(encodeNodeReport(nodeReport({ inputsSeq: 3, heardInputsSeq: 3 }))).not.toHaveProperty("c");
    for (const bad of [{ r: [], b: [], is: -1 }, { r: [], b: [], is: 1.5 }, { r: [], b: [], c: { web: 2 } }]) expect(decodeNodeReport(bad), JSON.stringify(bad)).toEqual({ ok: false });
  });

  it("understands an older agent's report: only `r` and `b`, no vouching (not the same as vouching for none)", () => {
    expect(decodeNodeReport({ r: ["web"], b: [] })).toEqual({ ok: true, report: nodeReport({ running: ["web"] }) });
    expect(nodeReport().vouchesFor).toBeNull();
    expect(decodeNodeReport({ r: [], b: [], u: [] })).toEqual({ ok: true, report: nodeReport({ vouchesFor: [] }) });
  });

  it("ignores keys it does not know (a newer agent's); null is no report yet", () => {
    expect(decodeNodeReport({ r: [], b: [], zz: { any: 1 } })).toEqual({ ok: true, report: nodeReport() });
    expect(decodeNodeReport(null)).toEqual({ ok: true, report: null });
  });

  it("refuses what is not a report", () => {
    for (const bad of [1, "r", [], {}, { r: [] }, { r: "web", b: [] }, { r: [1], b: [] }, { r: [], b: [], u: "n1" }, { r: [], b: [], v: { n3: "web" } }, { r: [], b: [], f: [{ n: "n4" }] }, { r: [], b: [], f: [{ n: "n4", g: 1.5 }] }])
      expect(decodeNodeReport(bad), JSON.stringify(bad)).toEqual({ ok: false });
  });

  it("writes the same keys, in the same order, as every agent so far: `f` and `nq` only when they say something", () => {
    const r = nodeReport({ running: ["web"], vouchesFor: ["n1"], hears: ["n1"], peersRunning: { n1: ["db"] } });
    expect(JSON.stringify(encodeNodeReport(r))).toBe('{"r":["web"],"b":[],"u":["n1"],"h":["n1"],"v":{"n1":["db"]}}');
    const all = { ...r, fenced: [{ node: "n3", generation: 2 }], noQuorum: true };
    expect(JSON.stringify(encodeNodeReport(all))).toBe('{"r":["web"],"b":[],"u":["n1"],"h":["n1"],"v":{"n1":["db"]},"f":[{"n":"n3","g":2}],"nq":true}');
    expect(decodeNodeReport(encodeNodeReport(all))).toEqual({ ok: true, report: all });
  });
});

describe("a report decoded where the packet is admitted", () => {
  it("a packet whose report does not decode is dropped as malformed, and changes nothing", () => {
    const before = admitHeard(emptyFilterState(), packet(wrapHeartbeatPayload({ r: ["web"], b: [] }, {})), { self: "n1" }).state;
    const r = admitHeard(before, packet(wrapHeartbeatPayload({ r: ["web"], b: "db" }, {}), 2), { self: "n1" });
    expect(r.outcome).toEqual({ kind: "drop", reason: "malformed" });
    expect(r.state).toBe(before);
  });

  it("an older agent's packet (no envelope, a bare report) is admitted with its report", () => {
    const r = admitHeard(emptyFilterState(), packet({ r: ["web"], b: [] }), { self: "n1" });
    expect(r.outcome).toMatchObject({ kind: "accept", report: nodeReport({ running: ["web"] }), payloadChanged: true, heardUsAgoMs: undefined });
  });
});
