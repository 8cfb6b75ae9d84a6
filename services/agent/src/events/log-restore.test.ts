// A rebuilt log folds to what the agents knew: restored events of every agent, folded fresh, give the
// same nodes, holders, standby, moves and failcounts as the lost log's fold.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, partitions, nodeState, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { restoredEvents } from "./log-restore.js";

const config = {
  nodes: ["n1", "n2", "n3"],
  groups: [{ id: "web", preferredNode: "n1", resources: ["ip"] }, { id: "db", preferredNode: "n2", resources: ["fs", "pg"] }],
  autoFailback: "on" as const,
  keepaliveMs: 100,
  deadtimeMs: 500,
};

function lostFold(): ClusterView {
  const v = emptyView("c");
  let seq = 0;
  const add = (e: Parameters<typeof applyEvent>[1]) => applyEvent(v, e, ++seq);
  const m = (node: string) => ({ id: `${node}.1.${seq + 1}`, node, time: 1_700_000_000_000 + seq });
  for (const n of config.nodes) add(makeEvent("ConfigLoaded", config, m(n)));
  for (const n of config.nodes) add(makeEvent("AgentStarted", { generation: 1, version: "x", pid: 1 }, m(n)));
  add(makeEvent("GroupStarted", { group: "web" }, m("n2")));
  add(makeEvent("ResourceStarted", { group: "web", resource: "ip" }, m("n2")));
  add(makeEvent("GroupStarted", { group: "db" }, m("n3")));
  add(makeEvent("ResourceStarted", { group: "db", resource: "fs" }, m("n3")));
  add(makeEvent("ResourceStarted", { group: "db", resource: "pg" }, m("n3")));
  add(makeEvent("StandbyRequested", { target: "n1" }, { ...m("cli"), id: "cli.a" }));
  add(makeEvent("MoveRequested", { group: "db", target: "n3" }, { ...m("cli"), id: "cli.b" }));
  add(makeEvent("ResourceFailed", { group: "web", resource: "ip", op: "monitor", rc: 7, message: "gone", failcount: 2 }, m("n1")));
  return v;
}

const summary = (v: ClusterView) => ({
  nodes: [...v.nodes.values()].map((n) => [n.name, nodeState(n)]).sort(),
  groups: [...v.groups.values()].map((g) => ({ id: g.id, node: g.node, state: g.state, movedTo: g.movedTo, resources: g.resources.map((r) => [r.id, r.state, r.failcounts]) })),
});

describe("rebuilding a lost log", () => {
  it("the agents' restored events, folded fresh, equal the lost log's fold; every id is new", () => {
    const old = lostFold();
    const fresh = emptyView("c");
    let seq = 0;
    let ids = 0;
    const all = config.nodes.flatMap((self, i) =>
      restoredEvents({
        view: old,
        self,
        generation: 1,
        config,
        includeOperatorState: i === 0,
        fromSeq: 1,
        lostStreamCreated: "2026-12-01T10:00:00Z",
        why: "the stream no longer exists",
        nextId: () => `${self}.1.${1000 + ++ids}`,
        now: 1_800_000_000_000,
      }),
    );
    for (const e of all) expect(applyEvent(fresh, e, ++seq)).toBe(true);
    expect(all.every((e) => e.restored === true && !old.applied.has(e.id))).toBe(true);
    expect(summary(fresh)).toEqual(summary(old));
    expect(fresh.logRestored).toMatchObject({ by: "n3", lostThrough: old.lastSeq });
    expect(all.filter((e) => e.type === "OperatorStateRestored")).toHaveLength(1);
  });

  it("each agent's share carries its partition report, so status has every node's quorum line again", () => {
    const fresh = emptyView("c");
    let seq = 0;
    for (const self of config.nodes)
      for (const e of restoredEvents({
        view: lostFold(),
        self,
        generation: 1,
        config,
        membership: { members: [...config.nodes], quorum: true, reason: "3 of 3 nodes: majority" },
        includeOperatorState: false,
        fromSeq: 1,
        lostStreamCreated: null,
        why: "the stream no longer exists",
        nextId: () => `${self}.1.${2000 + ++seq}`,
        now: 1_800_000_000_000,
      }))
        applyEvent(fresh, e, seq);
    expect(partitions(fresh).map((p) => [p.node, p.has, p.reason])).toEqual(config.nodes.map((n) => [n, true, "log rebuilt: 3 of 3 nodes: majority"]));
  });
});
