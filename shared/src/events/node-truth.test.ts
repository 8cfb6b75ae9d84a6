// Issue 8: the fold shows each node as its live peers see it, each reporting node's partition, the
// last change, and the quorum the agents report (one rule, applied by the agents, read by the CLI).
import { describe, expect, it } from "vitest";
import { applyEvent, clusterQuorum, emptyView, nodeState, partitions, type ClusterView } from "./cluster-view.js";
import { makeEvent, type EventBody, type EventType } from "./vocabulary.js";

let n = 0;
let seq = 0;
const T0 = 1_700_000_000_000;
function apply<T extends EventType>(v: ClusterView, type: T, node: string, body: EventBody<T>, cause = "") {
  const ev = makeEvent(type, body, { id: `t.${++n}`, node, time: T0 + n, cause });
  applyEvent(v, ev, ++seq);
  return seq;
}

/** n1, n2, n3 up and hearing each other, `web` started on n2. */
function cluster(): ClusterView {
  const v = emptyView("c");
  apply(v, "ConfigLoaded", "n1", {
    nodes: ["n1", "n2", "n3"],
    groups: [{ id: "web", preferredNode: "n2", resources: ["Dummy::web"] }],
    autoFailback: "on",
    keepaliveMs: 100,
    deadtimeMs: 600,
  });
  for (const o of ["n1", "n2", "n3"]) apply(v, "AgentStarted", o, { generation: 1, version: "x", pid: 1 });
  for (const o of ["n1", "n2", "n3"])
    for (const p of ["n1", "n2", "n3"]) if (o !== p) apply(v, "NodeUp", o, { peer: p, generation: 1 });
  for (const o of ["n1", "n2", "n3"]) apply(v, "MembershipChanged", o, { members: ["n1", "n2", "n3"], quorum: true }, "3 of 3 nodes: majority");
  apply(v, "GroupStarted", "n2", { group: "web" });
  return v;
}

const state = (v: ClusterView, name: string) => nodeState(v.nodes.get(name)!);

describe("node truth after a quorum loss (n3 stopped, n2 killed -9)", () => {
  function afterLoss(): ClusterView {
    const v = cluster();
    apply(v, "AgentStopped", "n3", {});
    apply(v, "NodeDead", "n1", { peer: "n3", silentMs: 600 });
    apply(v, "NodeDead", "n2", { peer: "n3", silentMs: 600 });
    // n2 is killed: it writes nothing more. n1 loses quorum at warntime, calls n2 dead at deadtime.
    apply(v, "QuorumLost", "n1", { members: ["n1"] }, "1 of 3 nodes: no majority");
    apply(v, "NodeDead", "n1", { peer: "n2", silentMs: 600 });
    apply(v, "MembershipChanged", "n1", { members: ["n1"], quorum: false }, "n2 is dead: 1 of 3 nodes: no majority");
    return v;
  }

  it("the survivor's word stands, without quorum: n2 is not online but unclean, n3 offline, n1 online", () => {
    const v = afterLoss();
    expect(state(v, "n1")).toBe("online");
    expect(state(v, "n2")).toBe("unclean");
    expect(state(v, "n3")).toBe("offline");
  });

  it("only the reporting node's partition is shown, and the CLI reads no quorum from it", () => {
    const v = afterLoss();
    expect(partitions(v)).toEqual([expect.objectContaining({ node: "n1", has: false, members: ["n1"] })]);
    expect(clusterQuorum(v)).toEqual({ has: false, why: expect.stringMatching(/n1 sees n1 \(n2 is dead: 1 of 3 nodes: no majority\)/) });
  });

  it("lastChange is the last event that changed membership or placement", () => {
    const v = afterLoss();
    expect(v.lastChange).toMatchObject({ seq: v.lastSeq, type: "MembershipChanged" });
    apply(v, "PacketsDropped", "n1", { counts: { auth: 1 } });
    expect(v.lastChange).toMatchObject({ seq: v.lastSeq - 1, type: "MembershipChanged" });
  });

  it("n2 comes back: heard again by n1, it is online and reports again", () => {
    const v = afterLoss();
    apply(v, "AgentStarted", "n2", { generation: 2, version: "x", pid: 2 });
    apply(v, "NodeRestarted", "n1", { peer: "n2", generation: 2, previousGeneration: 1 });
    apply(v, "QuorumRegained", "n1", { members: ["n1", "n2"] }, "2 of 3 nodes: majority");
    expect(state(v, "n2")).toBe("online");
    expect(clusterQuorum(v).has).toBe(true);
  });
});

describe("node truth in a partition", () => {
  it("n1 cut off but still writing: the majority's word stands, n1 shows its own partition without quorum", () => {
    const v = cluster();
    apply(v, "QuorumLost", "n1", { members: ["n1"] }, "1 of 3 nodes: no majority");
    apply(v, "NodeDead", "n2", { peer: "n1", silentMs: 600 });
    apply(v, "NodeDead", "n1", { peer: "n2", silentMs: 600 });
    apply(v, "NodeDead", "n1", { peer: "n3", silentMs: 600 });
    apply(v, "NodeDead", "n3", { peer: "n1", silentMs: 600 });
    apply(v, "MembershipChanged", "n2", { members: ["n2", "n3"], quorum: true }, "n1 is dead: 2 of 3 nodes: majority");
    // n1 goes on writing (its placement: nothing, no quorum): it reports again, but has no say.
    apply(v, "PlacementDecided", "n1", { placement: { web: null }, reasons: { web: "no quorum" } });
    expect(state(v, "n1")).toBe("offline");
    expect(state(v, "n2")).toBe("online");
    expect(state(v, "n3")).toBe("online");
    expect(clusterQuorum(v).has).toBe(true);
    const byNode = Object.fromEntries(partitions(v).map((p) => [p.node, p.has]));
    expect(byNode).toMatchObject({ n1: false, n2: true });
  });

  it("a stale MembershipChanged quorum=true of a killed node does not give the cluster quorum", () => {
    const v = cluster();
    apply(v, "AgentStopped", "n3", {});
    // n2 killed; n1 alone calls it dead. n2's last word was quorum=true (from cluster()).
    apply(v, "NodeDead", "n1", { peer: "n2", silentMs: 600 });
    apply(v, "QuorumLost", "n1", { members: ["n1"] }, "1 of 3 nodes: no majority");
    expect(clusterQuorum(v).has).toBe(false);
  });
});

describe("reasons and fencing in the fold", () => {
  it("the why comes from the latest PlacementDecided of a node with the say, not a node without quorum", () => {
    const v = cluster();
    apply(v, "PlacementDecided", "n2", { placement: { web: "n2" }, reasons: { web: "moved to n2 by operator" } });
    apply(v, "PlacementDecided", "n2", { placement: { web: "n2" }, reasons: { web: "auto_failback off: stays on n2" } });
    expect(v.groups.get("web")!.reason).toBe("auto_failback off: stays on n2");
    apply(v, "QuorumLost", "n3", { members: ["n3"] });
    apply(v, "PlacementDecided", "n3", { placement: { web: null }, reasons: { web: "no quorum" } });
    expect(v.groups.get("web")!.reason).toBe("auto_failback off: stays on n2");
  });

  it("FenceConfirmed is folded like a successful Fenced: the node is offline and its groups stopped", () => {
    const v = cluster();
    apply(v, "NodeDead", "n1", { peer: "n2", silentMs: 600 });
    apply(v, "NodeDead", "n3", { peer: "n2", silentMs: 600 });
    expect(state(v, "n2")).toBe("unclean");
    apply(v, "FenceConfirmed", "cli", { victim: "n2" });
    expect(state(v, "n2")).toBe("offline");
    expect(v.groups.get("web")).toMatchObject({ node: null, state: "stopped" });
  });

  it("RecoveredWithoutFencing is kept until the victim is heard again", () => {
    const v = cluster();
    apply(v, "NodeDead", "n1", { peer: "n2", silentMs: 600 });
    apply(v, "NodeDead", "n3", { peer: "n2", silentMs: 600 });
    apply(v, "RecoveredWithoutFencing", "n3", { group: "web", victim: "n2" });
    apply(v, "GroupStarted", "n3", { group: "web" });
    expect(v.unfencedRecoveries).toEqual({ web: expect.objectContaining({ victim: "n2", on: "n3" }) });
    apply(v, "NodeReturned", "n1", { peer: "n2", generation: 1 });
    expect(v.unfencedRecoveries).toEqual({});
  });

  it("RecoveredWithoutFencing about a victim seen to stop cleanly (AgentStopped) warns of nothing", () => {
    const v = cluster();
    apply(v, "GroupStopped", "n2", { group: "web" });
    apply(v, "AgentStopped", "n2", {});
    apply(v, "RecoveredWithoutFencing", "n3", { group: "web", victim: "n2" });
    expect(v.unfencedRecoveries).toEqual({});
  });
});
