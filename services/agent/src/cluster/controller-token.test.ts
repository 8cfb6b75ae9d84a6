// The tie-breaker's fencing token in the controller shell: every GroupStarting carries the token of
// the lease this node holds, and a GroupStarting by the peer on a newer token stops the group here.
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { ScriptedResource, type Call } from "../groups/scripted-resource.js";
import { testController } from "../../test-support/test-controller.js";

const cfg = {
  dir: "/etc/ha.d",
  haCf: { nodes: ["n1", "n2"], autoFailback: "on", initdeadMs: 0, deadtimeMs: 200, warntimeMs: 100, keepaliveMs: 50, tiebreaker: "nats" },
  authKeys: {},
  groups: [{ id: "web", preferredNode: "n1", line: 1, resources: [{ id: "r1", agent: "Scripted", args: [] }] }],
} as unknown as ClusterConfig;

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("controller: tie-breaker token", () => {
  it("records its lease's token on GroupStarting; stops the group on a peer's GroupStarting with a newer token only", async () => {
    const calls: Call[] = [];
    const r1 = new ScriptedResource("r1", calls);
    let witness = true;
    const observed: boolean[] = [];
    const { c, events } = testController(cfg, "n1", new Map([["web", [r1]]]), {
      witness: () => witness,
      tiebreak: { observe: (peerUp) => void observed.push(peerUp), token: () => (witness ? 5 : null) },
    });
    c.onPeer("n2", "dead", Date.now(), 1);
    c.start();
    for (let i = 0; i < 200 && !events.some((e) => e.type === "GroupStarted"); i++) await tick();
    expect(observed.at(-1), "the lease is told the peer is not up").toBe(false);
    const starting = events.find((e) => e.type === "GroupStarting");
    expect(starting).toMatchObject({ group: "web", tiebreakToken: 5 });

    const peerStart = (token: number, n: number) => makeEvent("GroupStarting", { group: "web", tiebreakToken: token }, { id: `n2.1.${n}`, node: "n2", time: Date.now() });
    c.onLogEvent(peerStart(4, 1));
    for (let i = 0; i < 10; i++) await tick();
    expect(events.filter((e) => e.type === "GroupStopping"), "an older token changes nothing").toEqual([]);

    // The peer won a later lease (this node's lapsed unseen): stop, and (no lease, no quorum) stay stopped.
    witness = false;
    c.onLogEvent(peerStart(9, 2));
    for (let i = 0; i < 200 && !events.some((e) => e.type === "GroupStopped"); i++) await tick();
    const stopping = events.find((e) => e.type === "GroupStopping");
    expect(stopping?.cause).toMatch(/n2 started web on tie-breaker token 9, newer than this node's 5/);
    expect(events.filter((e) => e.type === "GroupStopped")).toHaveLength(1);
    await c.stopAll(1000);
  });

  it("does not ask at start until the peer has been up once or initdead has passed; then a lost peer is lost", async () => {
    const observed: boolean[] = [];
    const booting = { ...cfg, haCf: { ...cfg.haCf, initdeadMs: 60_000 } } as ClusterConfig;
    const { c } = testController(booting, "n1", new Map([["web", [new ScriptedResource("r1", [])]]]), {
      tiebreak: { observe: (peerUp) => void observed.push(peerUp), token: () => null },
    });
    c.start();
    // Heard one way only (its `u` lacks n1): normal in the first moments, not a split.
    c.onPeer("n2", "up", Date.now(), 1);
    c.onPeerPayload("n2", nodeReport({ vouchesFor: [] }));
    for (let i = 0; i < 5; i++) await tick();
    expect(observed.length).toBeGreaterThan(0);
    expect(observed.every((up) => up)).toBe(true);
    c.onPeerPayload("n2", nodeReport({ vouchesFor: ["n1"] }));
    for (let i = 0; i < 5; i++) await tick();
    c.onPeer("n2", "dead", Date.now(), 1);
    for (let i = 0; i < 5; i++) await tick();
    expect(observed.at(-1), "once seen up, a lost peer is lost").toBe(false);
    await c.stopAll(1000);
  });
});
