// A node that could not be fenced, and a peer rejected for a bad key, as the fold keeps them and
// `vigil status` shows them (text and JSON), until they are over.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { formatStatus, statusObject } from "./status.js";

function feeder(v: ClusterView) {
  let seq = 0;
  return <T extends EventType>(node: string, type: T, body: EventBody<T>) => applyEvent(v, makeEvent(type, body, { id: `${node}.1.${++seq}`, node, time: seq * 1000 }), seq);
}

describe("status: fence failures and rejected peers", () => {
  it("a failed fence shows which node, by whom and why, until it is fenced or confirmed", () => {
    const v = emptyView("c");
    const add = feeder(v);
    add("n1", "Fenced", { victim: "n2", ok: false, rc: 1, message: "Failed: Unable to connect/login to fencing device", attempt: 2, nextAttemptMs: 4000 });
    const s = statusObject(v);
    expect(s.fenceFailures).toEqual([expect.objectContaining({ victim: "n2", by: "n1", rc: 1, attempt: 2, gaveUp: false })]);
    expect(formatStatus(s)).toMatch(/WARNING: n2 could not be fenced: n1's fence agent failed \(exit 1: Failed: Unable to connect\/login to fencing device\) at attempt 2; n1 retries/);
    add("n1", "Fenced", { victim: "n2", ok: false, rc: 1, message: "Failed", attempt: 6, nextAttemptMs: null });
    expect(formatStatus(statusObject(v))).toMatch(/n1 gave up retrying.*vigil node confirm-fenced n2/);
    add("cli", "FenceConfirmed", { victim: "n2" });
    expect(statusObject(v).fenceFailures).toEqual([]);
    add("n1", "Fenced", { victim: "n2", ok: false, rc: 1, message: "Failed" });
    add("n1", "Fenced", { victim: "n2", ok: true, rc: 0, message: "Success: Powered OFF" });
    expect(statusObject(v).fenceFailures).toEqual([]);
  });

  it("a rejected peer shows its count, kept current by PacketsDropped, until heard or its rejecter restarts", () => {
    const v = emptyView("c");
    const add = feeder(v);
    add("n1", "PeerRejected", { peer: "n2", reason: "auth", count: 12 });
    expect(formatStatus(statusObject(v))).toMatch(/^WARNING: n2: 12 packets rejected: wrong key \(by n1, since /m);
    add("n1", "PacketsDropped", { counts: { auth: 102 }, rejected: [{ peer: "n2", reason: "auth", count: 102 }] });
    const s = statusObject(v);
    expect(s.rejections).toEqual([expect.objectContaining({ peer: "n2", by: "n1", reason: "auth", text: "wrong key", count: 102 })]);
    expect(formatStatus(s)).toMatch(/WARNING: n2: 102 packets rejected: wrong key/);
    // An older agent's PacketsDropped (no `rejected`) changes nothing; an empty list ends it.
    add("n1", "PacketsDropped", { counts: { auth: 110 } });
    expect(statusObject(v).rejections).toHaveLength(1);
    add("n1", "PacketsDropped", { counts: { auth: 110 }, rejected: [] });
    expect(statusObject(v).rejections).toEqual([]);
    add("n1", "PeerRejected", { peer: "n2", reason: "auth", count: 3 });
    add("n1", "NodeUp", { peer: "n2", generation: 5 });
    expect(statusObject(v).rejections).toEqual([]);
    add("n1", "PeerRejected", { peer: "n2", reason: "auth", count: 3 });
    add("n1", "AgentStarted", { generation: 2, version: "t", pid: 1 });
    expect(statusObject(v).rejections).toEqual([]);
  });
});
