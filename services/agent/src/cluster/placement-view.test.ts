import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { emptyView } from "@vigil/shared/events/cluster-view";
import { decidePlacement } from "@vigil/shared/placement/policy";
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { buildPlacementInput, isFencer, mustBeFenced, readyAfterRegain, readyToPlace, type PeerInfo } from "./placement-view.js";

const cfg = {
  dir: "/etc/ha.d",
  haCf: { nodes: ["n1", "n2", "n3"], autoFailback: "on", initdeadMs: 2000 },
  authKeys: {},
  groups: [{ id: "web", preferredNode: "n1", line: 1, resources: [{ id: "IPaddr::198.51.100.50", agent: "IPaddr", args: [] }] }],
} as unknown as ClusterConfig;

const peer = (liveness: PeerInfo["liveness"], r: string[] = [], extra: Partial<PeerInfo> = {}): PeerInfo => ({
  liveness,
  upSince: 0,
  report: nodeReport({ running: r }),
  fenced: false,
  generation: 1,
  ...extra,
});

function place(self: string, peers: Record<string, PeerInfo>, opts: { fencing?: boolean; local?: "started" | "stopped" } = {}) {
  const { input } = buildPlacementInput({
    cfg,
    self,
    peers: new Map(Object.entries(peers)),
    local: new Map([["web", { state: opts.local ?? "stopped", failcounts: {} }]]),
    log: emptyView("c"),
    witness: true,
    now: 100_000,
    failbackStableMs: 1000,
    fencing: opts.fencing ?? false,
  });
  return { input, placement: decidePlacement(input).placement };
}

describe("placement view: the lease rule", () => {
  it("an active node that hears its peers only late has lost quorum and stops its group", () => {
    const { input, placement } = place("n1", { n2: peer("late"), n3: peer("late") }, { local: "started" });
    expect(input.quorum.hasQuorum).toBe(false);
    expect(placement.web).toBeNull();
  });

  it("peers keep the group where it runs while its node is only late, and take it once dead", () => {
    expect(place("n2", { n1: peer("late", ["web"]), n3: peer("up") }).placement.web).toBe("n1");
    expect(place("n2", { n1: peer("dead", ["web"]), n3: peer("up") }).placement.web).toBe("n2");
  });

  it("with fencing configured, a node that died holding a group is unclean until fenced", () => {
    const dead = peer("dead", ["web"]);
    const before = place("n2", { n1: dead, n3: peer("up") }, { fencing: true });
    expect(before.input.nodes.find((n) => n.name === "n1")!.state).toBe("unclean");
    expect(before.placement.web).toBeNull();
    const after = place("n2", { n1: { ...dead, fenced: true }, n3: peer("up") }, { fencing: true });
    expect(after.placement.web).toBe("n2");
  });

  it("a node reporting a blocked group must be fenced, fencing configured or not", () => {
    const p = peer("up", [], { report: nodeReport({ blocked: ["web"] }) });
    expect(mustBeFenced(p, false)).toBe(true);
    expect(mustBeFenced({ ...p, fenced: true }, false)).toBe(false);
  });

  it("exactly one node fences: the first alive node in ha.cf order other than the victim", () => {
    const peersOf = (self: string) => new Map(Object.entries({ n1: peer("dead"), n2: peer("up"), n3: peer("up") }).filter(([n]) => n !== self));
    expect(isFencer("n2", ["n1", "n2", "n3"], peersOf("n2"), "n1")).toBe(true);
    expect(isFencer("n3", ["n1", "n2", "n3"], peersOf("n3"), "n1")).toBe(false);
  });

  it("nothing is placed before every peer is heard or initdead has passed", () => {
    const peers = new Map(Object.entries({ n2: peer("init"), n3: peer("up") }));
    expect(readyToPlace(peers, 0, 2000, 1999)).toBe(false);
    expect(readyToPlace(peers, 0, 2000, 2000)).toBe(true);
    expect(readyToPlace(new Map(Object.entries({ n2: peer("up"), n3: peer("up") })), 0, 2000, 10)).toBe(true);
  });
});

describe("placement view: coming back, and partial partitions", () => {
  // The controller starts a group only when `current` names no other holder (a handoff), so these
  // check that the holder is known even when the policy would like the group back here.
  it("a blocked group on an alive peer is held there", () => {
    const n2 = peer("up", [], { report: nodeReport({ blocked: ["web"] }) });
    const { input } = place("n1", { n2, n3: peer("up") });
    expect(input.current.web).toBe("n2");
  });

  it("after regaining quorum a node starts nothing until deadtime has passed (at start-up: until every peer is heard saying it hears it)", () => {
    const hearsMe = peer("up", [], { report: nodeReport({ vouchesFor: ["n1"] }) });
    const peers = new Map(Object.entries({ n2: hearsMe, n3: peer("dead") }));
    expect(readyAfterRegain("n1", peers, null, 600, 0)).toBe(true);
    expect(readyAfterRegain("n1", peers, 1000, 600, 1300)).toBe(false);
    expect(readyAfterRegain("n1", peers, 1000, 600, 1600)).toBe(true);
    // After a loss every peer saying it hears this node is not enough (one may act on its `nq`): deadtime.
    expect(readyAfterRegain("n1", new Map(Object.entries({ n2: hearsMe, n3: hearsMe })), 1000, 600, 1001)).toBe(false);
    // At start-up it is: nothing was held here for a peer to take over on a `nq`.
    expect(readyAfterRegain("n1", new Map(Object.entries({ n2: hearsMe, n3: hearsMe })), 1000, 600, 1001, true)).toBe(true);
    // Heard, but its last word predates hearing this node again: not yet.
    expect(readyAfterRegain("n1", new Map(Object.entries({ n2: hearsMe, n3: peer("up") })), 1000, 600, 1001, true)).toBe(false);
    expect(readyAfterRegain("n1", new Map(Object.entries({ n2: hearsMe, n3: peer("late", [], { report: nodeReport({ vouchesFor: ["n1"] }) }) })), 1000, 600, 1001, true)).toBe(false);
  });

  it("a node judges its own failback stability from when it rejoined, as its peers do", () => {
    const { input } = buildPlacementInput({
      cfg,
      self: "n1",
      peers: new Map(Object.entries({ n2: peer("up", ["web"]), n3: peer("up") })),
      local: new Map([["web", { state: "stopped", failcounts: {} }]]),
      log: emptyView("c"),
      witness: true,
      now: 100_500,
      failbackStableMs: 1000,
      fencing: false,
      selfUpSince: 100_000,
    });
    expect(decidePlacement(input).placement.web).toBe("n2");
    expect(decidePlacement({ ...input, now: 101_000 }).placement.web).toBe("n1");
  });
});
