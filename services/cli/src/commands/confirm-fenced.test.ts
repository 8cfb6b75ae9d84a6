// `vigil node confirm-fenced NODE` a second time is already so: the fold remembers that NODE was
// fenced or confirmed down since it was last heard, until it is heard again.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { alreadyFenced, checkConfirmFenced } from "./confirm-fenced.js";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>) =>
  makeEvent(type, body, { id: `t.${++n}`, node, time: T0 + n * 1000, cause: "test" });

function apply(v: ClusterView, ...events: ReturnType<typeof ev>[]): ClusterView {
  for (const e of events) applyEvent(v, e, v.lastSeq + 1);
  return v;
}

/** n2 runs web, then n1 and n3 call it dead: UNCLEAN. */
function n2Unclean(): ClusterView {
  return apply(
    emptyView("c"),
    ev("ConfigLoaded", "n1", { nodes: ["n1", "n2", "n3"], groups: [{ id: "web", preferredNode: "n2", resources: ["Dummy::web"] }], autoFailback: "on", keepaliveMs: 50, deadtimeMs: 200 }),
    ev("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }),
    ev("AgentStarted", "n2", { generation: 1, version: "x", pid: 2 }),
    ev("AgentStarted", "n3", { generation: 1, version: "x", pid: 3 }),
    ev("GroupStarted", "n2", { group: "web" }),
    ev("NodeDead", "n1", { peer: "n2", silentMs: 300 }),
    ev("NodeDead", "n3", { peer: "n2", silentMs: 300 }),
  );
}

describe("confirm-fenced is already so once recorded", () => {
  it("an unclean node may be confirmed; once confirmed, again is a no-op that names the confirmation", () => {
    const v = n2Unclean();
    expect(nodeState(v.nodes.get("n2")!)).toBe("unclean");
    expect(checkConfirmFenced(v, "n2")).toBeNull();
    expect(alreadyFenced(v, "n2")).toBeNull();
    apply(v, ev("FenceConfirmed", "cli", { victim: "n2" }));
    const seq = v.lastSeq;
    expect(nodeState(v.nodes.get("n2")!)).toBe("offline");
    expect(checkConfirmFenced(v, "n2")).toBeNull();
    expect(alreadyFenced(v, "n2")).toBe(`n2 was confirmed down (#${seq}) and has not been heard since`);
  });

  it("a successful fence counts too; a failed one does not", () => {
    const v = apply(n2Unclean(), ev("Fenced", "n1", { victim: "n2", ok: false, rc: 1, message: "no answer" }));
    expect(alreadyFenced(v, "n2")).toBeNull();
    apply(v, ev("Fenced", "n1", { victim: "n2", ok: true, rc: 0, message: "off" }));
    expect(alreadyFenced(v, "n2")).toMatch(/^n2 was fenced \(#\d+\)/);
  });

  it("a node heard again after its confirmation may be confirmed again once it dies again", () => {
    const v = apply(n2Unclean(), ev("FenceConfirmed", "cli", { victim: "n2" }));
    apply(v, ev("AgentStarted", "n2", { generation: 2, version: "x", pid: 4 }), ev("NodeUp", "n1", { peer: "n2", generation: 2 }), ev("NodeUp", "n3", { peer: "n2", generation: 2 }));
    expect(nodeState(v.nodes.get("n2")!)).toBe("online");
    expect(alreadyFenced(v, "n2")).toBeNull();
    apply(v, ev("NodeDead", "n1", { peer: "n2", silentMs: 300 }), ev("NodeDead", "n3", { peer: "n2", silentMs: 300 }));
    expect(nodeState(v.nodes.get("n2")!)).not.toBe("online");
    expect(checkConfirmFenced(v, "n2")).toBeNull();
    expect(alreadyFenced(v, "n2")).toBeNull();
  });
});
