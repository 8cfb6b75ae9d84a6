import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { formatStatus, statusObject } from "./status.js";

const loaded = (node: string, digest: string, pending: string[] = [], i = 0) =>
  makeEvent(
    "ConfigLoaded",
    { nodes: ["n1", "n2", "n3"], groups: [], autoFailback: "on", keepaliveMs: 100, deadtimeMs: 600, digest, pending },
    { id: `${node}.1.${i}`, node, time: 1_700_000_000_000 },
  );

describe("status: nodes whose configurations differ", () => {
  it("names the nodes by digest when they differ, and what waits for a node's restart", () => {
    const v = emptyView("c");
    applyEvent(v, loaded("n1", "aaaaaaaaaaaa", ["timing (keepalive, warntime, deadtime, initdead) (deadtimeMs): waits for a restart: …"]), 1);
    applyEvent(v, loaded("n2", "bbbbbbbbbbbb"), 2);
    applyEvent(v, loaded("n3", "bbbbbbbbbbbb"), 3);
    const s = statusObject(v);
    expect(s.configs).toEqual({ n1: { digest: "aaaaaaaaaaaa", pending: [expect.any(String)] }, n2: { digest: "bbbbbbbbbbbb", pending: [] }, n3: { digest: "bbbbbbbbbbbb", pending: [] } });
    const text = formatStatus(s);
    expect(text).toContain("Configurations differ: n1 (aaaaaaaaaaaa) vs n2 n3 (bbbbbbbbbbbb)");
    expect(text).toContain("n1 waits for a restart: timing (keepalive, warntime, deadtime, initdead) (deadtimeMs)");
  });

  it("says nothing about configurations when every node runs the same", () => {
    const v = emptyView("c");
    applyEvent(v, loaded("n1", "aaaaaaaaaaaa"), 1);
    applyEvent(v, loaded("n2", "aaaaaaaaaaaa"), 2);
    expect(formatStatus(statusObject(v))).not.toMatch(/Configurations differ|waits for a restart/);
  });
});
