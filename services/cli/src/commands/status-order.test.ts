// Every node list of `vigil status` is in ha.cf order, as the operator wrote it (`node db2 db1 app`),
// whatever order the events named the nodes in and however the agents sorted their reports.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { formatStatus, statusObject } from "./status.js";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>) =>
  makeEvent(type, body, { id: `o.${++n}`, node, time: T0 + n * 1000, cause: "test" });

const HA_CF_ORDER = ["db2", "db1", "app"];

function view(): ClusterView {
  const v = emptyView("c");
  const loaded = (node: string) =>
    ev("ConfigLoaded", node, { nodes: HA_CF_ORDER, groups: [], autoFailback: "on", keepaliveMs: 100, deadtimeMs: 600, digest: `${node}aaaaaaaaa`.slice(0, 12), pending: [] });
  const events = [
    // app starts first: the fold meets its name before any ConfigLoaded.
    ev("AgentStarted", "app", { generation: 1, version: "x", pid: 3 }),
    loaded("app"),
    ev("AgentStarted", "db1", { generation: 1, version: "x", pid: 2 }),
    loaded("db1"),
    ev("AgentStarted", "db2", { generation: 1, version: "x", pid: 1 }),
    loaded("db2"),
    // The agents name members sorted by name.
    ...["app", "db1", "db2"].map((o) => ev("MembershipChanged", o, { members: ["app", "db1", "db2"], quorum: true })),
    ev("AgentStopped", "db1", {}),
    ...["app", "db2"].map((o) => ev("MembershipChanged", o, { members: ["app", "db2"], quorum: true })),
  ];
  events.forEach((e, i) => applyEvent(v, e, i + 1));
  return v;
}

describe("status node order", () => {
  it("nodes, quorum reporters, their members and configs are in ha.cf order, in JSON and in text", () => {
    const s = statusObject(view());
    expect(s.nodes.map((x) => x.name)).toEqual(HA_CF_ORDER);
    expect(s.nodes.map((x) => x.state)).toEqual(["online", "offline", "online"]);
    expect(Object.keys(s.quorum)).toEqual(["db2", "app"]);
    expect(s.quorum.app!.members).toEqual(["db2", "app"]);
    expect(Object.keys(s.configs)).toEqual(HA_CF_ORDER);
    const text = formatStatus(s);
    expect(text).toMatch(/^Online: \[ db2 app \]$/m);
    expect(text).toMatch(/^OFFLINE: \[ db1 \]$/m);
    const quorumLines = text.split("\n").filter((l) => l.startsWith("Quorum:"));
    expect(quorumLines).toHaveLength(2);
    expect(quorumLines[0]).toMatch(/^Quorum: db2: partition with quorum, sees \[ db2 app \]/);
    expect(quorumLines[1]).toMatch(/^Quorum: app: /);
  });

  it("a later ConfigLoaded with another order wins", () => {
    const v = view();
    applyEvent(v, ev("ConfigLoaded", "db2", { nodes: ["db1", "app", "db2"], groups: [], autoFailback: "on", keepaliveMs: 100, deadtimeMs: 600 }), v.lastSeq + 1);
    expect(statusObject(v).nodes.map((x) => x.name)).toEqual(["db1", "app", "db2"]);
  });
});
