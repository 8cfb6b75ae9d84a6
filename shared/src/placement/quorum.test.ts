import { describe, expect, it } from "vitest";
import { explainQuorum, hasQuorum } from "./quorum.js";

const three = ["n1", "n2", "n3"];
const two = ["n1", "n2"];

describe("hasQuorum", () => {
  it("a node that hears a majority of three nodes has quorum", () => {
    expect(hasQuorum({ configuredNodes: three, reachableNodes: ["n1", "n2"], witnessReachable: false })).toBe(true);
  });

  it("a node alone in a three-node cluster has no quorum, even with a witness", () => {
    expect(hasQuorum({ configuredNodes: three, reachableNodes: ["n1"], witnessReachable: true })).toBe(false);
  });

  it("half of a four-node cluster is not a majority, witness or not", () => {
    const four = ["n1", "n2", "n3", "n4"];
    expect(hasQuorum({ configuredNodes: four, reachableNodes: ["n1", "n2"], witnessReachable: true })).toBe(false);
    expect(hasQuorum({ configuredNodes: four, reachableNodes: ["n1", "n2", "n3"], witnessReachable: false })).toBe(true);
  });

  it("two nodes that hear each other have quorum without a witness", () => {
    expect(hasQuorum({ configuredNodes: two, reachableNodes: ["n1", "n2"], witnessReachable: false })).toBe(true);
  });

  it("in a two-node cluster a node that lost its peer keeps quorum only while a witness answers", () => {
    expect(hasQuorum({ configuredNodes: two, reachableNodes: ["n1"], witnessReachable: true })).toBe(true);
    expect(hasQuorum({ configuredNodes: two, reachableNodes: ["n1"], witnessReachable: false })).toBe(false);
  });

  it("a single-node cluster always has quorum", () => {
    expect(hasQuorum({ configuredNodes: ["n1"], reachableNodes: ["n1"], witnessReachable: false })).toBe(true);
  });

  it("names that are not configured nodes and repeated names do not count", () => {
    const view = { configuredNodes: three, reachableNodes: ["n1", "n1", "stranger", "ghost"], witnessReachable: false };
    expect(hasQuorum(view)).toBe(false);
  });

  it("a node that hears nobody, not even itself, has no quorum in a two-node cluster despite a witness", () => {
    expect(hasQuorum({ configuredNodes: two, reachableNodes: [], witnessReachable: true })).toBe(false);
  });

  it("no configured nodes means no quorum", () => {
    expect(hasQuorum({ configuredNodes: [], reachableNodes: [], witnessReachable: true })).toBe(false);
  });

  it("the explanation counts the nodes heard and names the rule that decided", () => {
    expect(explainQuorum({ configuredNodes: three, reachableNodes: ["n1", "n3"], witnessReachable: false }).reason).toBe(
      "2 of 3 nodes: majority",
    );
    expect(explainQuorum({ configuredNodes: two, reachableNodes: ["n2"], witnessReachable: true }).reason).toContain(
      "witness answers",
    );
    expect(explainQuorum({ configuredNodes: two, reachableNodes: ["n2"], witnessReachable: false }).reason).toContain(
      "no witness",
    );
  });
});
