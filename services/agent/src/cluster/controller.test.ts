// The controller shell with real group machines and scripted resources: it must act once per change,
// never re-send a command forever, and never starve the event loop.
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { deferred, ScriptedResource, type Call } from "../groups/scripted-resource.js";
import { testController } from "../../test-support/test-controller.js";

const cfg = {
  dir: "/etc/ha.d",
  haCf: { nodes: ["n1", "n2", "n3"], autoFailback: "on", initdeadMs: 0, deadtimeMs: 200, warntimeMs: 100, keepaliveMs: 50 },
  authKeys: {},
  groups: [{ id: "web", preferredNode: "n2", line: 1, resources: [{ id: "r1", agent: "Scripted", args: [] }] }],
} as unknown as ClusterConfig;

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("controller", () => {
  it("a double holder stops its start once, and the event loop keeps turning", async () => {
    const calls: Call[] = [];
    const r1 = new ScriptedResource("r1", calls);
    const start = deferred();
    r1.next("start", start);
    let decisions = 0;
    const { c, events } = testController(cfg, "n2", new Map([["web", [r1]]]), { witness: () => (decisions++, false) });
    c.onPeer("n1", "up", Date.now(), 1);
    c.onPeer("n3", "up", Date.now(), 1);
    c.onPeerPayload("n1", nodeReport({ vouchesFor: ["n2", "n3"] }));
    c.onPeerPayload("n3", nodeReport({ vouchesFor: ["n1", "n2"] }));
    c.start();
    for (let i = 0; i < 100 && !calls.some((x) => x.op === "start"); i++) await tick();
    expect(calls.filter((x) => x.op === "start")).toHaveLength(1);

    // n1 reports holding web too: n1 is first in ha.cf order, so n2 must stop its start.
    c.onPeerPayload("n1", nodeReport({ running: ["web"], blocked: [], vouchesFor: ["n2", "n3"] }));
    const before = decisions;
    await tick();
    await tick();
    // Bounded: a re-sent STOP would wake the controller again and again.
    expect(decisions - before).toBeLessThan(10);
    start.resolve({ rc: 0, message: "started" });
    for (let i = 0; i < 100 && !events.some((e) => e.type === "GroupStopped"); i++) await tick();
    expect(events.filter((e) => e.type === "GroupStopped")).toHaveLength(1);
    expect(calls.map((x) => x.op).filter((op) => op !== "monitor")).toEqual(["start", "stop"]);
    await c.stopAll(1000);
  });
});
