import { describe, expect, it } from "vitest";
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { notePeerLiveness, notePeerPayload } from "./peer-table.js";
import type { PeerInfo } from "./placement-view.js";

const table = () => new Map<string, PeerInfo>([["n2", { liveness: "init", upSince: null, report: null, fenced: false, generation: null }]]);

describe("the peer table", () => {
  it("a restarted peer's first packets (no report yet) drop what its earlier life said", () => {
    const peers = table();
    notePeerLiveness(peers, "n2", "up", 10, 1);
    expect(notePeerPayload(peers, "n2", nodeReport({ noQuorum: true }))).toBe(true);
    notePeerLiveness(peers, "n2", "dead", 500, 1);
    // Generation 2 boots: its packets carry no report until its controller runs.
    expect(notePeerPayload(peers, "n2", null)).toBe(true);
    notePeerLiveness(peers, "n2", "up", 900, 2);
    expect(peers.get("n2")).toMatchObject({ liveness: "up", generation: 2, report: null });
    expect(notePeerPayload(peers, "n2", null)).toBe(false);
  });

  it("a report from a node that is not a configured peer changes nothing", () => {
    const peers = table();
    expect(notePeerPayload(peers, "n9", nodeReport({ running: ["g1"] }))).toBe(false);
    expect(peers.has("n9")).toBe(false);
  });
});
