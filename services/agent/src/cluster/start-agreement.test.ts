import { describe, expect, it } from "vitest";
import { nodeReport, type NodeReport } from "@vigil/shared/heartbeat/node-report";
import { choiceWait, foldBehind, highestHeard } from "./start-agreement.js";
import type { PeerInfo } from "./placement-view.js";

const peer = (liveness: PeerInfo["liveness"], report: Partial<NodeReport> | null): PeerInfo => ({
  liveness,
  upSince: 0,
  report: report === null ? null : nodeReport(report),
  fenced: false,
  generation: 1,
});
const peers = (o: Record<string, PeerInfo>) => new Map(Object.entries(o));

describe("a start rests on folds that are not behind", () => {
  it("a node whose fold lacks placement inputs a live peer has folded, or heard of, starts nothing", () => {
    expect(foldBehind(3, peers({ n2: peer("up", { inputsSeq: 3, heardInputsSeq: 3 }) }))).toBeNull();
    expect(foldBehind(3, peers({ n2: peer("up", { inputsSeq: 7, heardInputsSeq: 7 }) }))).toMatch(/n2 has folded placement inputs through log seq 7, this node only through 3/);
    // n2 heard of seq 7 from a node this one does not hear.
    expect(foldBehind(3, peers({ n2: peer("late", { inputsSeq: 3, heardInputsSeq: 7 }) }))).toMatch(/n2 has heard of placement inputs through log seq 7/);
  });

  it("a dead peer, or one whose report does not say (an older agent, a relayed report), is not compared", () => {
    expect(foldBehind(3, peers({ n2: peer("dead", { inputsSeq: 9, heardInputsSeq: 9 }), n3: peer("up", {}), n4: peer("up", null) }))).toBeNull();
  });

  it("the farthest heard of is this node's own or a heard peer's fold, not what peers heard (which would echo)", () => {
    const p = peers({ n2: peer("up", { inputsSeq: 5, heardInputsSeq: 40 }), n3: peer("dead", { inputsSeq: 9 }) });
    expect(highestHeard(4, p)).toBe(5);
    expect(highestHeard(6, p)).toBe(6);
  });
});

describe("a group no node holds starts only where every peer able to start it places it", () => {
  it("waits while a live peer places it elsewhere or nowhere yet, goes ahead once every one places it here", () => {
    const n3 = peer("up", { inputsSeq: 0, heardInputsSeq: 0, choices: { g4: "n1" } });
    expect(choiceWait("n1", "g4", peers({ n2: peer("up", { inputsSeq: 0, heardInputsSeq: 0, choices: { g4: "n2" } }), n3 }))).toMatch(/n2 places g4 on n2: no start until it places it here too/);
    expect(choiceWait("n1", "g4", peers({ n2: peer("up", { inputsSeq: 0, heardInputsSeq: 0, choices: {} }), n3 }))).toMatch(/n2 places g4 nowhere yet/);
    expect(choiceWait("n1", "g4", peers({ n2: peer("up", { inputsSeq: 0, heardInputsSeq: 0, choices: { g4: "n1" } }), n3 }))).toBeNull();
  });

  it("does not wait for a peer that starts nothing: dead, without quorum, placing nothing, or saying its fold is behind", () => {
    const others = {
      n2: peer("dead", { choices: { g4: "n2" } }),
      n3: peer("up", { noQuorum: true, choices: {} }),
      n4: peer("up", { inputsSeq: 2, heardInputsSeq: 2, choices: null }),
      n5: peer("up", { inputsSeq: 2, heardInputsSeq: 5, choices: { g4: "n5" } }),
      n6: peer("up", {}),
    };
    expect(choiceWait("n1", "g4", peers(others))).toBeNull();
  });
});
