// Each log invariant holds on a healthy model run and fails on the run that breaks it.
import { describe, expect, it } from "vitest";
import { emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import { CHECK_EVERY_MS } from "@vigil/agent/nats/log-health";
import { commandsAnswered, exactlyOnce, foldsConverge, logInvariants, nothingLost, outboxesDrained } from "./log-invariants.js";
import { agent, CLUSTER, CONFIG, newLog, run } from "./log-harness.js";
import { SimCli, type CommandRun } from "./sim-commands.js";
import type { LogEntry } from "./sim-log.js";

let n = 0;
const ev = (node: string, now = 0): VigilEvent => makeEvent("NodeUp", { peer: node, generation: 1 }, { id: `${node}.1.${++n}`, node, time: now });
const entry = (seq: number, event: VigilEvent, storedAt: number): LogEntry => ({ seq, event, storedAt });

describe("exactly once", () => {
  it("fails for an id stored twice inside the duplicate window, holds once the window had passed", () => {
    const e = ev("n1");
    expect(exactlyOnce([entry(1, e, 0), entry(2, ev("n1"), 10)], 1_000)).toEqual([]);
    expect(exactlyOnce([entry(1, e, 0), entry(2, e, 999)], 1_000)).toEqual([`event ${e.id} stored 2 times (#1, #2), within the duplicate window`]);
    expect(exactlyOnce([entry(1, e, 0), entry(2, e, 1_000)], 1_000)).toEqual([]);
  });

  it("holds on the model through lost acks and restarts mid-publish", () => {
    const log = newLog();
    log.slowAcks(0, 5_000, 10_000);
    const a = agent(log, "n1");
    for (let i = 0; i < 5; i++) a.append(ev("n1"));
    run([a], 0, 1_000);
    a.restart(1_000, emptyView(CLUSTER), null);
    run([a], 1_000, 30_000);
    expect(log.entries().length).toBe(5);
    expect(exactlyOnce(log.entries(), log.duplicateWindowMs)).toEqual([]);
  });
});

describe("nothing lost", () => {
  it("fails for an event written that no stream holds; an event in a wiped stream is not lost", () => {
    const log = newLog();
    const a = agent(log, "n1");
    const [kept, wiped] = [ev("n1"), ev("n1")];
    a.append(wiped);
    run([a], 0, 100);
    log.wipe(100);
    a.append(kept);
    run([a], 100, 20_000);
    const streams = [log.entries(), ...log.lost().map((s) => s.entries)];
    expect(nothingLost(streams, [kept.id, wiped.id])).toEqual([]);
    expect(nothingLost([log.entries()], [kept.id, wiped.id])).toEqual([`1 events written never reached the log (${wiped.id})`]);
  });
});

describe("outboxes drained", () => {
  it("fails while an agent cannot publish, holds once it could", () => {
    const log = newLog();
    log.outage(0, 5_000, ["n1"]);
    const a = agent(log, "n1");
    const e = ev("n1");
    a.append(e);
    run([a], 0, 4_000);
    expect(outboxesDrained([a])).toEqual([`n1's outbox still holds 1 events (oldest ${e.id})`]);
    run([a], 4_000, 10_000);
    expect(outboxesDrained([a])).toEqual([]);
  });
});

describe("folds converge", () => {
  it("fails for a stalled follower's fold, holds once the watchdog restarted it", () => {
    const log = newLog();
    const [a, b] = [agent(log, "n1"), agent(log, "n2")];
    b.stall();
    a.append(makeEvent("ConfigLoaded", CONFIG, { id: "n1.c", node: "n1", time: 0 }));
    run([a, b], 0, CHECK_EVERY_MS - 1);
    const folds = () => new Map([a, b].map((x) => [x.node, x.live]));
    expect(foldsConverge(CLUSTER, log.entries(), folds())).toEqual(["n2's fold is at #0, the log at #1"]);
    run([a, b], CHECK_EVERY_MS, 3 * CHECK_EVERY_MS);
    expect(foldsConverge(CLUSTER, log.entries(), folds())).toEqual([]);
  });

  it("names what differs when the seqs agree but the contents do not", () => {
    const log = newLog();
    const a = agent(log, "n1");
    a.append(makeEvent("StandbyRequested", { target: "n2" }, { id: "cli.s", node: "cli", time: 0 }));
    run([a], 0, 100);
    const other = emptyView(CLUSTER);
    other.lastSeq = log.lastSeq;
    expect(foldsConverge(CLUSTER, log.entries(), new Map([["n9", other]])).join()).toMatch(/^n9's fold differs from the log's: /);
  });

  it("holds after a wiped store is rebuilt; fails for an agent cut off before its refold swapped in", () => {
    const log = newLog();
    const [a, b] = [agent(log, "n1"), agent(log, "n2", 700)];
    a.append(makeEvent("ConfigLoaded", CONFIG, { id: "n1.c", node: "n1", time: 0 }));
    a.append(makeEvent("MoveRequested", { group: "web", target: "n2" }, { id: "cli.m", node: "cli", time: 0 }));
    run([a, b], 0, 1_000);
    log.wipe(1_000);
    // n2 cannot reach NATS for long enough that its rebuild's share is still unpublished at the check.
    log.outage(3_705, 60_000, ["n2"]);
    run([a, b], 1_000, 20_000);
    const folds = () => new Map([a, b].map((x) => [x.node, x.live]));
    expect(foldsConverge(CLUSTER, log.entries(), new Map([["n1", a.live]]))).toEqual([]);
    expect(foldsConverge(CLUSTER, log.entries(), folds()).join()).toMatch(/^n2's fold/);
    run([a, b], 60_000, 80_000);
    expect(foldsConverge(CLUSTER, log.entries(), folds())).toEqual([]);
    expect(a.live.groups.get("web")?.movedTo).toBe("n2");
  });
});

describe("commands answered", () => {
  const run1 = (over: Partial<CommandRun>): CommandRun => ({
    command: { kind: "standby", node: "n1" },
    issuedAt: 0,
    startedAt: 0,
    endedAt: 1_000,
    outcome: { kind: "done", message: "carried out (#3)" },
    recorded: [3],
    moves: [],
    ...over,
  });

  it("holds for done and refused-with-a-reason, fails for left hanging, no answer, or no reason", () => {
    const o = { now: 100_000, boundMs: 50_000 };
    expect(commandsAnswered([run1({}), run1({ outcome: { kind: "refused", message: "cannot standby: no quorum" } })], o)).toEqual([]);
    expect(commandsAnswered([run1({ outcome: { kind: "timeout", message: "standby is in the log but was not carried out within 30 s" } })], o)).toEqual([
      "vigil node standby n1 --wait (issued at 0 ms): left hanging: standby is in the log but was not carried out within 30 s",
    ]);
    expect(commandsAnswered([run1({ outcome: null, endedAt: null })], o)).toEqual(["vigil node standby n1 --wait (issued at 0 ms): no answer after 100000 ms"]);
    expect(commandsAnswered([run1({ outcome: { kind: "refused", message: "" } })], o)).toEqual(["vigil node standby n1 --wait (issued at 0 ms): refused without a reason"]);
  });

  it("excuses a wait that timed out while a fault was on", () => {
    const r = run1({ outcome: { kind: "timeout", message: "x" }, startedAt: 10, endedAt: 30_010 });
    expect(commandsAnswered([r], { now: 40_000, boundMs: 50_000, disturbed: (from, to) => from < 20_000 && to > 5_000 })).toEqual([]);
  });

  it("on the model: a command with no agent to carry it out hangs; logInvariants names it", () => {
    const log = newLog();
    const a = agent(log, "n1");
    a.append(makeEvent("ConfigLoaded", CONFIG, { id: "n1.c", node: "n1", time: 0 }));
    a.append(makeEvent("AgentStarted", { generation: 1, version: "x", pid: 1 }, { id: "n1.a", node: "n1", time: 0 }));
    a.append(makeEvent("AgentStarted", { generation: 1, version: "x", pid: 1 }, { id: "n2.a", node: "n2", time: 0 }));
    a.append(makeEvent("GroupStarted", { group: "web" }, { id: "n1.g", node: "n1", time: 0 }));
    run([a], 0, 100);
    let ids = 0;
    const cli = new SimCli(log, { nextId: () => `cli.${++ids}`, timeoutMs: 2_000 });
    cli.issue({ kind: "move", group: "web", node: "n2" }, 200);
    for (let t = 200; t <= 5_000; t += 50) cli.poll(t);
    const found = logInvariants(log, [a], cli.runs(), { now: 5_000, boundMs: 20_000, appended: ["n1.c", "n1.a", "n2.a", "n1.g"] });
    expect(found["commands answered"]).toEqual([expect.stringMatching(/^vigil resource move web n2 --wait .*: left hanging: move is in the log but was not carried out within 2 s$/)]);
    run([a], 5_000, 5_100);
    const after = logInvariants(log, [a], [], { now: 5_100, boundMs: 20_000, appended: ["n1.c", "n1.a", "n2.a", "n1.g"] });
    expect(after).toEqual({ "exactly once": [], "nothing lost": [], "outboxes drained": [], "folds converge": [], "commands answered": [] });
  });
});
