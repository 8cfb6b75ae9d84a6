import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "./cluster-view.js";
import { makeEvent, type EventBody } from "./vocabulary.js";

let n = 0;
const loaded = (node: string, groups: string[], extra: Partial<EventBody<"ConfigLoaded">> = {}) =>
  makeEvent(
    "ConfigLoaded",
    { nodes: ["n1", "n2"], groups: groups.map((id) => ({ id, preferredNode: "n1", resources: [`Dummy::${id}`] })), autoFailback: "on", keepaliveMs: 100, deadtimeMs: 600, ...extra },
    { id: `t.${++n}`, node, time: 1_700_000_000_000 + n },
  );

describe("cluster view: the configured set is the latest ConfigLoaded's", () => {
  it("a group left out of a later ConfigLoaded leaves the view; one added appears, stopped", () => {
    const v = emptyView("c");
    applyEvent(v, loaded("n1", ["web", "db"]), 1);
    applyEvent(v, makeEvent("MoveRequested", { group: "web", target: "n2" }, { id: "op.1", node: "cli", time: 1, cause: "operator" }), 2);
    applyEvent(v, loaded("n1", ["web", "api"]), 3);
    expect([...v.groups.keys()]).toEqual(["web", "api"]);
    expect(v.groups.get("web")!.movedTo).toBe("n2");
    expect(v.groups.get("api")).toMatchObject({ state: "stopped", node: null });
  });

  it("keeps each node's configuration digest and what waits for its restart", () => {
    const v = emptyView("c");
    applyEvent(v, loaded("n1", ["web"], { digest: "aaa" }), 1);
    applyEvent(v, loaded("n2", ["web"], { digest: "bbb", changes: ["auto_failback on → off"], pending: ["timing (deadtimeMs): waits for a restart: …"] }), 2);
    expect(Object.fromEntries(v.configs)).toEqual({ n1: { digest: "aaa", pending: [] }, n2: { digest: "bbb", pending: ["timing (deadtimeMs): waits for a restart: …"] } });
  });
});
