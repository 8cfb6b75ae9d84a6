import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, nodeState } from "./cluster-view.js";
import { makeEvent, type EventBody, type EventType } from "./vocabulary.js";

let n = 0;
const e = <T extends EventType>(type: T, node: string, body: EventBody<T>) =>
  makeEvent(type, body, { id: `t.${++n}`, node, time: 1_700_000_000_000 + n });

const config = (node: string) =>
  e("ConfigLoaded", node, {
    nodes: ["n1", "n2", "n3"],
    groups: [{ id: "web", preferredNode: "n1", resources: ["IPaddr::198.51.100.10", "httpd"] }],
    autoFailback: "on",
    keepaliveMs: 100,
    deadtimeMs: 600,
  });

describe("cluster view (fold of the log)", () => {
  it("configured nodes are offline until their agent starts", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }), 2);
    expect(nodeState(v.nodes.get("n1")!)).toBe("online");
    expect(nodeState(v.nodes.get("n2")!)).toBe("offline");
  });

  it("a node reported dead while holding a group is unclean until fenced", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }), 2);
    applyEvent(v, e("GroupStarted", "n1", { group: "web" }), 3);
    applyEvent(v, e("NodeDead", "n2", { peer: "n1", silentMs: 700 }), 4);
    expect(nodeState(v.nodes.get("n1")!)).toBe("unclean");
    applyEvent(v, e("Fenced", "n2", { victim: "n1", ok: true, rc: 0, message: "link cut" }), 5);
    expect(nodeState(v.nodes.get("n1")!)).toBe("offline");
    expect(v.groups.get("web")!.node).toBeNull();
  });

  it("a node reported dead holding nothing is simply offline", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("NodeUp", "n1", { peer: "n2", generation: 3 }), 2);
    applyEvent(v, e("NodeDead", "n1", { peer: "n2", silentMs: 700 }), 3);
    expect(nodeState(v.nodes.get("n2")!)).toBe("offline");
  });

  it("standby and online requests change the node's state", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("AgentStarted", "n2", { generation: 1, version: "x", pid: 1 }), 2);
    applyEvent(v, e("StandbyRequested", "cli", { target: "n2" }), 3);
    expect(nodeState(v.nodes.get("n2")!)).toBe("standby");
    applyEvent(v, e("OnlineRequested", "cli", { target: "n2" }), 4);
    expect(nodeState(v.nodes.get("n2")!)).toBe("online");
  });

  it("inputsSeq is the seq of the last event that changed what placement reads (standby, moves, failcounts), not of every event", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }), 2);
    expect(v.inputsSeq).toBe(0);
    applyEvent(v, e("StandbyRequested", "cli", { target: "n2" }), 3);
    applyEvent(v, e("GroupStarted", "n1", { group: "web" }), 4);
    expect([v.lastSeq, v.inputsSeq]).toEqual([4, 3]);
    applyEvent(v, e("ResourceFailed", "n1", { group: "web", resource: "httpd", op: "monitor", rc: 7, message: "not running", failcount: 1 }), 5);
    expect(v.inputsSeq).toBe(5);
    // A configuration that drops a group drops its move and failcounts too.
    applyEvent(v, e("ConfigLoaded", "n1", { nodes: ["n1", "n2", "n3"], groups: [], autoFailback: "on", keepaliveMs: 100, deadtimeMs: 600 }), 6);
    expect(v.inputsSeq).toBe(6);
    applyEvent(v, config("n2"), 7);
    expect(v.inputsSeq).toBe(6);
  });

  it("an event id applied before is skipped (no event is applied twice)", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    const fail = e("ResourceFailed", "n1", { group: "web", resource: "httpd", op: "monitor", rc: 7, message: "down", failcount: 1 });
    expect(applyEvent(v, fail, 2)).toBe(true);
    expect(applyEvent(v, fail, 3)).toBe(false);
    expect(v.groups.get("web")!.resources[1]!.failcounts).toEqual({ n1: 1 });
    expect(v.lastSeq).toBe(3);
  });

  it("resources follow their group's events, and cleanup clears failcounts", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    applyEvent(v, e("GroupStarting", "n1", { group: "web" }), 2);
    applyEvent(v, e("ResourceStarted", "n1", { group: "web", resource: "IPaddr::198.51.100.10" }), 3);
    applyEvent(v, e("ResourceFailed", "n1", { group: "web", resource: "httpd", op: "start", rc: 1, message: "x", failcount: 1 }), 4);
    const g = v.groups.get("web")!;
    expect(g.resources.map((r) => r.state)).toEqual(["started", "failed"]);
    applyEvent(v, e("FailcountCleared", "n1", { group: "web", on: "*" }), 5);
    expect(g.resources[1]!.failcounts).toEqual({});
    expect(g.resources[1]!.state).toBe("stopped");
  });

  it("folds a million events in seconds", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      const ev = { v: 1, id: `m.${i}`, node: "n1", time: "2026-01-01T00:00:00.000Z", cause: "", type: "NodeLate", peer: "n2", silentMs: 300 } as const;
      applyEvent(v, ev, i + 2);
    }
    expect(v.lastSeq).toBe(1_000_001);
    expect(performance.now() - t0).toBeLessThan(30_000); // generous: measured by the benchmark
  });
});

describe("cluster view: observers without quorum", () => {
  it("a node cut off from the others does not make them dead by calling them so", () => {
    const v = emptyView("c");
    applyEvent(v, config("n1"), 1);
    for (const [i, n] of ["n1", "n2", "n3"].entries()) applyEvent(v, e("AgentStarted", n, { generation: 1, version: "x", pid: i }), 2 + i);
    applyEvent(v, e("QuorumLost", "n1", { members: ["n1"] }), 10);
    applyEvent(v, e("NodeDead", "n1", { peer: "n2", silentMs: 300 }), 11);
    applyEvent(v, e("NodeDead", "n2", { peer: "n1", silentMs: 300 }), 12);
    expect(nodeState(v.nodes.get("n2")!)).toBe("online");
    expect(nodeState(v.nodes.get("n1")!)).toBe("offline");
    applyEvent(v, e("QuorumRegained", "n1", { members: ["n1", "n2", "n3"] }), 13);
    applyEvent(v, e("NodeDead", "n1", { peer: "n3", silentMs: 300 }), 14);
    expect(nodeState(v.nodes.get("n3")!)).toBe("offline");
  });
});
