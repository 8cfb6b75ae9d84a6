import { describe, expect, it } from "vitest";
import { notePeerLiveness, notePeerPayload } from "./peer-table.js";
import type { PeerInfo } from "./placement-view.js";

const table = () => new Map<string, PeerInfo>([["n2", { liveness: "init", upSince: null, payload: null, fenced: false, generation: null }]]);

describe("the peer table", () => {
  it("a restarted peer's first packets (no payload yet) drop what its earlier life said", () => {
    const peers = table();
    notePeerLiveness(peers, "n2", "up", 10, 1);
    expect(notePeerPayload(peers, "n2", { r: [], b: [], u: [], h: [], nq: true })).toBe(true);
    notePeerLiveness(peers, "n2", "dead", 500, 1);
    // Generation 2 boots: its packets carry no payload until its controller runs.
    expect(notePeerPayload(peers, "n2", null)).toBe(true);
    notePeerLiveness(peers, "n2", "up", 900, 2);
    expect(peers.get("n2")).toMatchObject({ liveness: "up", generation: 2, payload: null });
    expect(notePeerPayload(peers, "n2", null)).toBe(false);
  });

  it("a malformed payload is not believed and leaves the last good one", () => {
    const peers = table();
    notePeerPayload(peers, "n2", { r: ["g1"], b: [] });
    expect(notePeerPayload(peers, "n2", { r: "g1" })).toBe(false);
    expect(peers.get("n2")!.payload).toEqual({ r: ["g1"], b: [] });
    expect(notePeerPayload(peers, "n9", { r: [], b: [] })).toBe(false);
  });
});
