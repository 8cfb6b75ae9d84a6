// The controller's stall-first rule with real group machines and a scripted resource: a node that
// finds it was stalled past its lease stops what it holds before deciding anything else, and decides
// nothing while the lease worker's verdict is not in.
import { nodeReport } from "@vigil/shared/heartbeat/node-report";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { deferred, ScriptedResource, type Call } from "../groups/scripted-resource.js";
import { type NodeLease } from "./controller.js";
import { testController } from "../../test-support/test-controller.js";

const cfg = {
  dir: "/etc/ha.d",
  haCf: { nodes: ["n1", "n2", "n3"], autoFailback: "on", initdeadMs: 0, deadtimeMs: 200, warntimeMs: 100, keepaliveMs: 50 },
  authKeys: {},
  groups: [{ id: "web", preferredNode: "n1", line: 1, resources: [{ id: "r1", agent: "Scripted", args: [] }] }],
} as unknown as ClusterConfig;

const tick = () => new Promise((r) => setTimeout(r, 5));

/** n1's controller with one scripted resource and a scripted lease worker. */
function stalledNode(meta: ConstructorParameters<typeof ScriptedResource>[2] = {}) {
  const calls: Call[] = [];
  const lease = { lapses: 0, unconfirmed: false, lastGapMs: 0, timing: { tickMs: 10 } };
  const nodeLease: NodeLease = { lapses: () => lease.lapses, unconfirmed: () => lease.unconfirmed, get lastGapMs() { return lease.lastGapMs; }, timing: lease.timing };
  const res = new ScriptedResource("r1", calls, meta);
  const { c, events } = testController(cfg, "n1", new Map([["web", [res]]]), { lease: nodeLease });
  const ops = () => calls.map((x) => x.op).filter((op) => op !== "monitor");
  /** The lease worker's verdict is in: one stall of `gapMs` past the lease. */
  const lapsed = (gapMs: number) => {
    lease.lastGapMs = gapMs;
    lease.lapses = 1;
    lease.unconfirmed = false;
  };
  return { c, events, lease, res, ops, lapsed };
}

/** Every peer up and hearing n1; n1 starts and has started web. */
async function startedWithPeers(n: ReturnType<typeof stalledNode>): Promise<void> {
  for (const p of ["n2", "n3"]) n.c.onPeer(p, "up", Date.now(), 1);
  n.c.onPeerPayload("n2", nodeReport({ vouchesFor: ["n1", "n3"] }));
  n.c.onPeerPayload("n3", nodeReport({ vouchesFor: ["n1", "n2"] }));
  n.c.start();
  for (let i = 0; i < 100 && !n.events.some((e) => e.type === "GroupStarted"); i++) await tick();
  expect(n.ops()).toEqual(["start"]);
}

describe("controller: stall past the lease", () => {
  it("a peer took the group over during the stall: the thawed node stops it and does not start it again until that peer releases it", async () => {
    const node = stalledNode();
    const { c, events, res, ops } = node;
    await startedWithPeers(node);

    // Thawed. The stop takes a while; meanwhile n2 (which took web over) and n3 are heard again, hearing n1.
    const stop = deferred();
    res.next("stop", stop);
    node.lapsed(3000);
    for (const p of ["n2", "n3"]) c.onPeer(p, "late", Date.now());
    c.tick();
    for (let i = 0; i < 100 && !ops().includes("stop"); i++) await tick();
    c.onPeerPayload("n2", nodeReport({ running: ["web"], blocked: [], vouchesFor: ["n1", "n3"] }));
    c.onPeerPayload("n3", nodeReport({ vouchesFor: ["n1", "n2"] }));
    for (const p of ["n2", "n3"]) c.onPeer(p, "up", Date.now(), 1);
    for (let i = 0; i < 10; i++) await tick();
    stop.resolve({ rc: 0, message: "stopped" });
    for (let i = 0; i < 100 && !events.some((e) => e.type === "GroupStopped"); i++) await tick();
    for (let i = 0; i < 20; i++) await tick();
    expect(ops(), "n1 started web again while n2 holds it").toEqual(["start", "stop"]);

    // n2 releases it (the failback handoff): now n1 starts it, for the placement's reason, not the stall's.
    c.onPeerPayload("n2", nodeReport({ vouchesFor: ["n1", "n3"] }));
    for (let i = 0; i < 200 && ops().length < 3; i++) await tick();
    expect(ops()).toEqual(["start", "stop", "start"]);
    const restart = events.filter((e) => e.type === "GroupStarting").at(-1);
    expect(restart?.cause).not.toMatch(/stalled/);
    await c.stopAll(1000);
  });


  it("stops the group first, with the stall as the cause, then decides again (and starts it again, announced)", async () => {
    const node = stalledNode();
    const { c, events, lease, ops } = node;
    await startedWithPeers(node);

    // Just thawed, the worker has not ticked yet: nothing is decided, not even a loss of quorum.
    lease.unconfirmed = true;
    c.onPeerPayload("n2", nodeReport({ vouchesFor: ["n3"] }));
    c.onPeerPayload("n3", nodeReport({ vouchesFor: ["n2"] }));
    for (let i = 0; i < 20; i++) await tick();
    expect(events.some((e) => e.type === "QuorumLost")).toBe(false);
    expect(ops()).toEqual(["start"]);
    c.onPeerPayload("n2", nodeReport({ vouchesFor: ["n1", "n3"] }));
    c.onPeerPayload("n3", nodeReport({ vouchesFor: ["n1", "n2"] }));

    // The verdict: stalled 900 ms past the lease. Stop first, then start again (placement still wants it here).
    node.lapsed(900);
    c.tick();
    for (let i = 0; i < 200 && ops().length < 3; i++) await tick();
    expect(ops()).toEqual(["start", "stop", "start"]);
    const stopping = events.find((e) => e.type === "GroupStopping");
    expect(stopping?.cause).toMatch(/stalled for 900 ms, past its lease: stopping what it holds before anything else/);
    await c.stopAll(1000);
  });

  it("a monitor that fell due during the stall fails before the verdict is in: the group does not recover in place, nothing starts until the controller has stopped it first", async () => {
    const node = stalledNode({ monitorIntervalMs: 30 });
    const { c, events, lease, res, ops } = node;
    await startedWithPeers(node);

    // Thawed, verdict not in; the address is gone (the kernel's lifetime ran out), the monitor says so.
    lease.unconfirmed = true;
    res.next("monitor", { rc: 7, message: "not held" });
    for (let i = 0; i < 100 && !events.some((e) => e.type === "ResourceFailed"); i++) await tick();
    expect(events.some((e) => e.type === "ResourceFailed")).toBe(true);
    for (let i = 0; i < 20; i++) await tick();
    expect(ops(), "the group recovered in place before the controller decided").toEqual(["start", "stop"]);

    // The verdict: a lapse. Stop-first finds it stopped; placement then starts it, not the recovery.
    node.lapsed(3000);
    c.tick();
    for (let i = 0; i < 200 && ops().length < 3; i++) await tick();
    expect(ops()).toEqual(["start", "stop", "start"]);
    await c.stopAll(1000);
  });
});
