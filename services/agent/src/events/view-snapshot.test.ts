import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyEvent, emptyView, nodeState } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { loadViewSnapshot, saveViewSnapshot } from "./view-snapshot.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = () => {
  const d = mkdtempSync(join(tmpdir(), "vigil-snap-"));
  dirs.push(d);
  return join(d, "view.json");
};

const A = "2026-12-01T10:00:00.000000000Z";
const B = "2026-12-01T11:00:00.000000000Z";

function folded() {
  const v = emptyView("c");
  const meta = (i: number) => ({ id: `e.${i}`, node: "n1", time: 1_700_000_000_000 + i });
  applyEvent(v, makeEvent("ConfigLoaded", { nodes: ["n1", "n2"], groups: [{ id: "web", preferredNode: "n1", resources: ["r"] }], autoFailback: "on", keepaliveMs: 50, deadtimeMs: 200 }, meta(1)), 1);
  applyEvent(v, makeEvent("AgentStarted", { generation: 1, version: "x", pid: 1 }, meta(2)), 2);
  applyEvent(v, makeEvent("StandbyRequested", { target: "n2" }, meta(3)), 3);
  applyEvent(v, makeEvent("MoveRequested", { group: "web", target: "n2" }, meta(4)), 4);
  return v;
}

describe("view snapshot", () => {
  it("round-trips the fold: nodes, groups, moves, and the ids already applied", () => {
    const f = file();
    saveViewSnapshot(f, folded(), A);
    const v = loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })!;
    expect(v.lastSeq).toBe(4);
    expect(nodeState(v.nodes.get("n1")!)).toBe("online");
    expect(v.nodes.get("n2")!.standby).toBe(true);
    expect(v.groups.get("web")!.movedTo).toBe("n2");
    // An id applied before the snapshot is still skipped after it (Invariant 2).
    expect(applyEvent(v, makeEvent("OnlineRequested", { target: "n2" }, { id: "e.3", node: "cli", time: 0 }), 5)).toBe(false);
  });

  it("is ignored for another cluster, a recreated stream, a purged one, or a damaged file", () => {
    const f = file();
    saveViewSnapshot(f, folded(), A);
    expect(loadViewSnapshot(f, "other", { created: A, firstSeq: 1, lastSeq: 10 })).toBeNull();
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 2 })).toBeNull();
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 7, lastSeq: 20 })).toBeNull();
    writeFileSync(f, "{ not json");
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })).toBeNull();
  });

  it("is ignored for another stream of the same cluster that has grown longer than the snapshot (a wiped store)", () => {
    const f = file();
    saveViewSnapshot(f, folded(), A);
    // Sequence numbers alone would accept it: 4 fits in 1..50. The stream's identity does not.
    expect(loadViewSnapshot(f, "c", { created: B, firstSeq: 1, lastSeq: 50 })).toBeNull();
  });

  it("written before streams had an identity (version 1), is ignored", () => {
    const f = file();
    writeFileSync(f, JSON.stringify({ version: 1, cluster: "c", lastSeq: 4, applied: [], nodes: [], groups: [] }));
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 50 })).toBeNull();
  });
});

describe("view snapshot: each node's copy of a group (group-copies.ts)", () => {
  it("keeps the copies, and ignores a snapshot written before the fold kept them", () => {
    const f = file();
    const v = folded();
    applyEvent(v, makeEvent("GroupStarted", { group: "web" }, { id: "e.5", node: "n1", time: 1_700_000_000_005 }), 5);
    saveViewSnapshot(f, v, A);
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })!.groups.get("web")!.copies).toEqual({ n1: { state: "started", resources: {}, seq: 5 } });
    const old = JSON.parse(readFileSync(f, "utf8"));
    for (const g of old.groups) delete g.copies;
    writeFileSync(f, JSON.stringify(old));
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })).toBeNull();
  });
});

describe("view snapshot: the seq of the placement inputs (start-agreement.ts)", () => {
  it("keeps it, and ignores a snapshot written before the fold kept it (a fold restored at 0 would say it is behind its peers for ever)", () => {
    const f = file();
    saveViewSnapshot(f, folded(), A);
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })!.inputsSeq).toBe(4);
    const old = JSON.parse(readFileSync(f, "utf8"));
    delete old.inputsSeq;
    writeFileSync(f, JSON.stringify(old));
    expect(loadViewSnapshot(f, "c", { created: A, firstSeq: 1, lastSeq: 10 })).toBeNull();
  });
});
