import { describe, expect, it } from "vitest";
import { encodePacket } from "@vigil/shared/heartbeat/packet";
import { screenPacket, type FilterContext } from "./receive-filter.js";
import { noteRejected, rejectedSender, stepRejections, type RejectTally, type RejectionState } from "./peer-rejections.js";

type Keys = { active: number; keys: Record<string, { method: "sha256"; key: string }> };
const ours: Keys = { active: 1, keys: { "1": { method: "sha256", key: "ours" } } };
const theirs: Keys = { active: 1, keys: { "1": { method: "sha256", key: "theirs" } } };
const ctx: FilterContext = { self: "n1", cluster: "c1", nodes: new Set(["n1", "n2"]), authKeys: ours, allowCrc: false };

function packet(node: string, auth: Keys, cluster = "c1"): Buffer {
  const r = encodePacket({ node, cluster, generation: 1, seq: 1, payload: null }, auth);
  if (!r.ok) throw new Error(r.reason);
  return r.bytes;
}

/** The worker's path: the edge's verdict, then the tally of what it dropped for a key. */
function receive(tally: RejectTally, bytes: Buffer): void {
  const o = screenPacket(bytes, ctx);
  if (o.kind !== "drop") return;
  const r = rejectedSender(bytes, o.reason, ctx);
  if (r) noteRejected(tally, r);
}

describe("packets rejected for a bad key, per configured peer", () => {
  it("counts a configured peer's packets signed with another key, and nothing else", () => {
    const tally: RejectTally = {};
    for (let i = 0; i < 3; i++) receive(tally, packet("n2", theirs));
    receive(tally, packet("n2", ours)); // accepted
    receive(tally, packet("n7", theirs)); // not a configured node
    receive(tally, packet("n2", theirs, "other")); // another cluster's
    receive(tally, packet("n1", theirs)); // our own name
    receive(tally, packet("n2", { active: 4, keys: { "4": { method: "sha256", key: "x" } } })); // a key index we lack
    receive(tally, Buffer.from("VGHB garbage"));
    expect(tally).toEqual({ n2: { auth: 3, "unknown-key": 1 } });
  });

  it("raises once per peer and reason; counts move on; heals when the peer is heard and no more are rejected; recurs as a new episode", () => {
    let s: RejectionState = {};
    const step = (tally: RejectTally, heard: string[] = []) => {
      const r = stepRejections(s, tally, new Set(heard));
      s = r.state;
      return r;
    };
    expect(step({ n2: { auth: 5 } })).toMatchObject({ raised: [{ peer: "n2", reason: "auth", count: 5 }], open: [{ count: 5 }] });
    expect(step({ n2: { auth: 102 } })).toMatchObject({ raised: [], open: [{ peer: "n2", reason: "auth", count: 102 }] });
    // Still rejected while heard (another medium, or a rolling key change): not healed.
    expect(step({ n2: { auth: 110 } }, ["n2"])).toMatchObject({ raised: [], healed: [], open: [{ count: 110 }] });
    // Not heard and no new rejections (the peer is down): the episode stays open.
    expect(step({ n2: { auth: 110 } })).toMatchObject({ healed: [], open: [{ count: 110 }] });
    expect(step({ n2: { auth: 110 } }, ["n2"])).toMatchObject({ healed: [{ peer: "n2", count: 110 }], open: [] });
    expect(step({ n2: { auth: 110 } }, ["n2"])).toMatchObject({ raised: [], healed: [], open: [] });
    // Recurs: a new event, counted from the episode's start.
    expect(step({ n2: { auth: 114 }, n3: { "crc-refused": 1 } })).toMatchObject({
      raised: [
        { peer: "n2", reason: "auth", count: 4 },
        { peer: "n3", reason: "crc-refused", count: 1 },
      ],
    });
  });
});
