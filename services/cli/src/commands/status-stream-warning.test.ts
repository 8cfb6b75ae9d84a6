// An under-replicated stream (recorded by an agent whose update the server refused) is shown in
// `vigil status`, in text and JSON, until an agent records the replicas raised.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { formatStatus, statusObject } from "./status.js";

describe("status and the stream's replicas", () => {
  it("shows StreamUnderReplicated until StreamReplicasRaised", () => {
    const v = emptyView("c");
    const warn = { stream: "VIGIL_C", replicas: 1, wanted: 3, reason: "insufficient resources" };
    applyEvent(v, makeEvent("StreamUnderReplicated", warn, { id: "n1.1.1", node: "n1", time: 0 }), 1);
    expect(statusObject(v).streamWarning).toEqual(warn);
    expect(formatStatus(statusObject(v))).toMatch(/WARNING: event stream VIGIL_C has 1 replica\(s\), the NATS cluster could give it 3 \(insufficient resources\)/);
    applyEvent(v, makeEvent("StreamReplicasRaised", { stream: "VIGIL_C", replicas: 3 }, { id: "n1.1.2", node: "n1", time: 0 }), 2);
    expect(statusObject(v).streamWarning).toBeNull();
    expect(formatStatus(statusObject(v))).not.toMatch(/WARNING/);
  });
});
