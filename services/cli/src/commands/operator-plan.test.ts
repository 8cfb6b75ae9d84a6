// The operator commands' decisions on a fold: refused, already so, the event recorded, what --wait
// sees, and hb's moves (operator.ts does the NATS part around them; the simulator runs them too).
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { CommandWait, planCommand, planHb } from "./operator-plan.js";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>) => makeEvent(type, body, { id: `t.${++n}`, node, time: T0 + n });

function view(...more: ReturnType<typeof ev>[]) {
  const v = emptyView("c");
  const config = { nodes: ["n1", "n2"], groups: [{ id: "web", preferredNode: "n1", resources: ["ip"] }, { id: "db", preferredNode: "n2", resources: ["fs"] }], autoFailback: "on" as const, keepaliveMs: 50, deadtimeMs: 200 };
  [
    ev("ConfigLoaded", "n1", config),
    ev("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }),
    ev("AgentStarted", "n2", { generation: 1, version: "x", pid: 2 }),
    ev("GroupStarted", "n1", { group: "web" }),
    ev("GroupStarted", "n2", { group: "db" }),
    ...more,
  ].forEach((e, i) => applyEvent(v, e, i + 1));
  return v;
}
const meta = { id: "cli.1", node: "cli" };

describe("planning an operator command", () => {
  it("refuses with the reason, says already so, or gives the event to record", () => {
    expect(planCommand(view(), { kind: "standby", node: "n9" }, T0, meta)).toEqual({ kind: "refused", message: 'cannot standby: no node "n9" in this cluster (nodes: n1, n2)' });
    expect(planCommand(view(), { kind: "clear", group: "web" }, T0, meta)).toMatchObject({ kind: "already", message: expect.stringMatching(/^already so: group web has no move to clear; nothing recorded/) });
    const p = planCommand(view(), { kind: "move", group: "web", node: "n2" }, T0, meta);
    expect(p).toMatchObject({ kind: "record", event: { type: "MoveRequested", group: "web", target: "n2", id: "cli.1", node: "cli", cause: "operator: resource move web n2" } });
  });

  it("--wait is done for online once the agents' placement after the command is reached", () => {
    const v = view(ev("StandbyRequested", "cli", { target: "n1" }), ev("OnlineRequested", "cli", { target: "n1" }));
    const w = new CommandWait({ kind: "online", node: "n1" }, 6);
    const decided = ev("PlacementDecided", "n2", { placement: { web: "n1", db: "n2" }, reasons: {} });
    applyEvent(v, decided, 8);
    expect(w.see(v, 8, decided, T0)).toBe(true);
  });

  it("--wait on a move or a cleanup of a group removed from haresources meanwhile says so, instead of failing (found by the simulator's config reloads)", () => {
    const v = view();
    const removed = ev("ConfigLoaded", "n1", { nodes: ["n1", "n2"], groups: [{ id: "db", preferredNode: "n2", resources: ["fs"] }], autoFailback: "on", keepaliveMs: 50, deadtimeMs: 200 });
    applyEvent(v, removed, 6);
    for (const c of [{ kind: "move", group: "web", node: "n2" }, { kind: "cleanup", group: "web" }] as const)
      expect(new CommandWait(c, 5).see(v, 6, removed, T0)).toBe("group web is no longer configured (removed from haresources on SIGHUP)");
  });

  it("hb takeover moves the selected groups to the node; hb standby moves the node's groups to another online node", () => {
    expect(planHb(view(), "takeover", "foreign", "n1")).toEqual({ moves: [{ kind: "move", group: "db", node: "n1" }] });
    expect(planHb(view(), "standby", "all", "n1")).toEqual({ moves: [{ kind: "move", group: "web", node: "n2" }] });
    expect(planHb(view(), "takeover", "all", "n7")).toEqual({ refused: 'cannot hb takeover: no node "n7" in this cluster (nodes: n1, n2)' });
  });
});
