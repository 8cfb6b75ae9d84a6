// `vigil node standby NODE --wait` is done only when NODE's groups run where the policy puts them,
// not as soon as they have left NODE (the chaos suite saw `--wait` succeed with no holder at all).
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { carriedOut } from "./operator.js";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>) =>
  makeEvent(type, body, { id: `t.${++n}`, node, time: T0 + n * 1000, cause: "test" });

function viewAfter(...more: ReturnType<typeof ev>[]) {
  const v = emptyView("c");
  const events = [
    ev("ConfigLoaded", "n1", { nodes: ["n1", "n2", "n3"], groups: [{ id: "web", preferredNode: "n1", resources: ["IPaddr::198.51.100.50"] }], autoFailback: "on", keepaliveMs: 50, deadtimeMs: 200 }),
    ev("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }),
    ev("AgentStarted", "n2", { generation: 1, version: "x", pid: 2 }),
    ev("AgentStarted", "n3", { generation: 1, version: "x", pid: 3 }),
    ev("GroupStarted", "n1", { group: "web" }),
    ev("StandbyRequested", "cli", { target: "n1" }),
    ev("GroupStopped", "n1", { group: "web" }),
    ...more,
  ];
  events.forEach((e, i) => applyEvent(v, e, i + 1));
  return v;
}

describe("standby --wait's done condition", () => {
  it("waits while the group, off the standby node, is stopped and another node could run it", () => {
    expect(carriedOut(viewAfter(), { kind: "standby", node: "n1" }, T0 + 60_000)).toBeNull();
  });
  it("is done once the group runs on another node", () => {
    const v = viewAfter(ev("GroupStarted", "n2", { group: "web" }));
    expect(carriedOut(v, { kind: "standby", node: "n1" }, T0 + 60_000)).toBe(true);
  });
});

describe("move --wait's done condition", () => {
  it("says at once why the agents cannot carry a move out, instead of waiting out the timeout", () => {
    const v = viewAfter(
      ev("MoveRequested", "cli", { group: "web", target: "n3" }),
      ev("PlacementDecided", "n2", {
        placement: { web: "n2" },
        reasons: { web: "move to n3 not possible (failcount 3 for Dummy::a reached threshold 3); preferred node n1 is standby" },
      }),
    );
    expect(carriedOut(v, { kind: "move", group: "web", node: "n3" }, T0 + 60_000)).toMatch(/cannot run web on n3: failcount 3 .* reached threshold 3/);
  });
});
