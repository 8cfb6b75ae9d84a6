// The simulated event log, one fault at a time: what the agents' outbox, publisher, follower and
// watchdog (the production parts, hosted) make of each.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { PUBLISH_TIMEOUT_MS } from "@vigil/agent/events/publisher";
import { CHECK_EVERY_MS } from "@vigil/agent/nats/log-health";
import type { SimLog } from "./sim-log.js";
import { agent, applied, CLUSTER, CONFIG, newLog, run } from "./log-harness.js";

let counter = 0;
const ev = (node: string, now: number): VigilEvent => makeEvent("NodeUp", { peer: node, generation: 1 }, { id: `${node}.1.${++counter}`, node, time: now });
const config = CONFIG;

const fresh = (log: SimLog) => {
  const v = emptyView(CLUSTER);
  for (const { seq, event } of log.entries()) applyEvent(v, event, seq);
  return v;
};

describe("the simulated event log", () => {
  it("acknowledges a publish after ackMs and delivers it to every follower in order", () => {
    const log = newLog({ ackMs: 5, deliveryMs: 3 });
    log.ensure(0);
    const r = log.publish("n1", ev("n1", 10), 10);
    expect(r).toEqual({ ok: true, seq: 1, duplicate: false, at: 15 });
    expect(log.read("n2", 1, 12)).toEqual([]);
    expect(log.read("n2", 1, 13).map((e) => e.seq)).toEqual([1]);
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    const sent = [ev("n1", 20), ev("n1", 20), ev("n1", 20)];
    for (const e of sent) a.append(e);
    const steps = run([a, b], 20, 1_000);
    expect(a.pending).toBe(0);
    expect(log.entries().map((e) => e.event.id)).toEqual([log.entries()[0]!.event.id, ...sent.map((e) => e.id)]);
    expect(applied(steps.get("n2")!).slice(1)).toEqual(sent.map((e) => e.id));
  });

  it("a publish during an outage times out unstored; the outbox keeps it and the publisher retries it after, oldest first", () => {
    const log = newLog();
    const a = agent(log, "n1");
    run([a], 0, 10);
    log.outage(100, 5_000);
    expect(log.publish("n1", ev("n1", 100), 100)).toMatchObject({ ok: false, why: "timeout", at: 100 + PUBLISH_TIMEOUT_MS, stored: null });
    const sent = [ev("n1", 200), ev("n1", 200)];
    for (const e of sent) a.append(e);
    run([a], 200, 4_999);
    expect(a.pending).toBe(2);
    expect(log.lastSeq).toBe(0);
    run([a], 5_000, 10_000);
    expect(a.pending).toBe(0);
    expect(log.entries().map((e) => e.event.id)).toEqual(sent.map((e) => e.id));
  });

  it("an outage of one node leaves the others publishing and reading", () => {
    const log = newLog();
    log.outage(0, 2_000, ["n1"]);
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    b.append(ev("n2", 0));
    const steps = run([a, b], 0, 1_000);
    expect(log.lastSeq).toBe(1);
    expect(applied(steps.get("n1")!)).toEqual([]);
    expect(applied(steps.get("n2")!)).toHaveLength(1);
    expect(applied(run([a, b], 2_000, 2_100).get("n1")!)).toHaveLength(1);
  });

  it("a slow ack past the publisher's timeout: stored, retried, and not stored twice inside the duplicate window", () => {
    const log = newLog();
    log.slowAcks(0, 1_000, PUBLISH_TIMEOUT_MS + 1);
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    const e = ev("n1", 0);
    a.append(e);
    const steps = run([a, b], 0, 10_000);
    expect(a.pending).toBe(0);
    expect(log.entries().filter((x) => x.event.id === e.id)).toHaveLength(1);
    expect(log.publish("n1", e, 10_000)).toMatchObject({ ok: true, duplicate: true, seq: 1 });
    expect(applied(steps.get("n2")!)).toEqual([e.id]);
  });

  it("a slow ack under the timeout only delays the ack", () => {
    const log = newLog();
    log.ensure(0);
    log.slowAcks(0, 1_000, 800);
    expect(log.publish("n1", ev("n1", 10), 10)).toMatchObject({ ok: true, at: 810 });
  });

  it("after the duplicate window the same id is stored again; the fold applies it once", () => {
    const log = newLog({ duplicateWindowMs: 1_000 });
    log.ensure(0);
    const e = ev("n1", 0);
    expect(log.publish("n1", e, 0)).toMatchObject({ ok: true, seq: 1, duplicate: false });
    expect(log.publish("n1", e, 999)).toMatchObject({ ok: true, seq: 1, duplicate: true });
    expect(log.publish("n1", e, 1_000)).toMatchObject({ ok: true, seq: 2, duplicate: false });
    const b = agent(log, "n2");
    expect(applied(run([b], 1_000, 1_100).get("n2")!)).toEqual([e.id]);
    expect(b.fold.target.lastSeq).toBe(2);
  });

  it("each follower reads from its own cursor: an agent restarted from a snapshot reads only what follows it", () => {
    const log = newLog();
    const { created } = log.ensure(0);
    for (let i = 0; i < 5; i++) log.publish("n1", ev("n1", i), i);
    const snapshot = emptyView(CLUSTER);
    for (const { seq, event } of log.entries().slice(0, 3)) applyEvent(snapshot, event, seq);
    const b = agent(log, "n2", 100, snapshot, created);
    expect(applied(run([b], 100, 200).get("n2")!)).toEqual(log.entries().slice(3).map((x) => x.event.id));
  });

  it("a stalled follower gets nothing until the watchdog (LogWatchdog) restarts it, within two looks", () => {
    const log = newLog();
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    run([a, b], 0, 10);
    b.stall();
    a.append(ev("n1", 10));
    const before = run([a, b], 10, CHECK_EVERY_MS - 1);
    expect(applied(before.get("n2")!)).toEqual([]);
    const after = run([a, b], CHECK_EVERY_MS, 3 * CHECK_EVERY_MS);
    expect(b.restarts).toBe(1);
    expect(applied(after.get("n2")!)).toHaveLength(1);
  });

  it("a follower that works is not restarted, even with events waiting at a look", () => {
    const log = newLog({ deliveryMs: 10 });
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    for (let t = 0; t < 5 * CHECK_EVERY_MS; t += 997) a.append(ev("n1", t));
    run([a, b], 0, 5 * CHECK_EVERY_MS);
    expect(b.restarts).toBe(0);
    expect(b.fold.target.lastSeq).toBe(log.lastSeq);
  });

  it("a wiped store: the watchdog calls it lost, the agents rebuild it (new creation time, seqs from 1), the folds swap in", () => {
    const log = newLog();
    // n2's watchdog looks 500 ms after n1's: by then n1's share is in the new log.
    const [a, b] = [agent(log, "n1"), agent(log, "n2", 500)];
    a.append(makeEvent("ConfigLoaded", config, { id: "n1.1.c", node: "n1", time: 0 }));
    a.append(makeEvent("StandbyRequested", { target: "n2" }, { id: "cli.s", node: "cli", time: 0 }));
    run([a, b], 0, 1_000);
    const lostCreated = log.created!;
    const lostSeq = log.lastSeq;
    expect(b.fold.target.nodes.get("n2")!.standby).toBe(true);
    log.wipe(1_000);
    expect(log.publish("n1", ev("n1", 1_001), 1_001)).toMatchObject({ ok: false, stored: null, why: expect.stringMatching(/no stream answered/) });
    const steps = run([a, b], 1_001, 20_000);
    expect(log.created).not.toBe(lostCreated);
    expect(log.entries()[0]!.seq).toBe(1);
    expect(a.rebuilds + b.rebuilds).toBe(2);
    expect(steps.get("n2")!.some((s) => s.refolded)).toBe(true);
    // One OperatorStateRestored (the second agent finds the first's), one LogRestored each.
    expect(log.entries().filter((e) => e.event.type === "OperatorStateRestored")).toHaveLength(1);
    const restored = log.entries().filter((e) => e.event.type === "LogRestored");
    expect(restored.map((e) => e.event.node).sort()).toEqual(["n1", "n2"]);
    expect(restored[0]!.event).toMatchObject({ lostThrough: lostSeq, lostStreamCreated: lostCreated, fromSeq: 1 });
    // The rebuilt fold still knows the standby, and equals a fresh fold of the new log.
    for (const x of [a, b]) {
      expect(x.fold.streamCreated).toBe(log.created);
      expect(x.fold.target.nodes.get("n2")!.standby).toBe(true);
      expect(x.fold.target.lastSeq).toBe(fresh(log).lastSeq);
    }
    expect(log.lost()).toHaveLength(1);
  });

  it("an agent restarted mid-publish republishes its outbox; the duplicate window keeps the log to one copy", () => {
    const log = newLog();
    log.slowAcks(0, 100, 50);
    const a = agent(log, "n1");
    const e = ev("n1", 0);
    a.append(e);
    a.poll(0); // published at 0, the ack due at 50
    expect(log.lastSeq).toBe(1);
    a.restart(10, emptyView(CLUSTER), null);
    run([a], 10, 1_000);
    expect(a.pending).toBe(0);
    expect(log.entries().map((x) => x.event.id)).toEqual([e.id]);
  });
});
