// Operator commands against the simulated log, through the CLI's own decisions: refusals, already
// so, carried out, --wait's timeout, an unreachable log, a lost ack, hb takeover's moves, one
// command at a time. The agents' part is played by events written straight into the log.
import { describe, expect, it } from "vitest";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { DEFAULT_READ_TIMEOUT_MS } from "@vigil/log-client/event-reader";
import { CLI_PUBLISH_TIMEOUT_MS } from "@vigil/cli/commands/operator-plan";
import { SimLog } from "./sim-log.js";
import { commandVerb, describeCommand, SimCli, type SimCommand } from "./sim-commands.js";

let n = 0;
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>, now: number) => makeEvent(type, body, { id: `${node}.${++n}`, node, time: now });

/** Two nodes up, web on n1 (preferred), db on n2 (preferred), each agent reporting quorum. */
function cluster(): SimLog {
  const log = new SimLog({ cluster: "sim" });
  log.ensure(0);
  const put = <T extends EventType>(type: T, node: string, body: EventBody<T>) => log.publish(node, ev(type, node, body, 0), 0);
  const config = {
    nodes: ["n1", "n2"],
    groups: [{ id: "web", preferredNode: "n1", resources: ["ip"] }, { id: "db", preferredNode: "n2", resources: ["fs"] }],
    autoFailback: "on" as const,
    keepaliveMs: 100,
    deadtimeMs: 500,
  };
  for (const node of ["n1", "n2"]) {
    put("ConfigLoaded", node, config);
    put("AgentStarted", node, { generation: 1, version: "x", pid: 1 });
    put("MembershipChanged", node, { members: ["n1", "n2"], quorum: true });
  }
  put("GroupStarted", "n1", { group: "web" });
  put("ResourceStarted", "n1", { group: "web", resource: "ip" });
  put("GroupStarted", "n2", { group: "db" });
  put("ResourceStarted", "n2", { group: "db", resource: "fs" });
  return log;
}

let ids = 0;
const cli = (log: SimLog, timeoutMs?: number) => new SimCli(log, { nextId: () => `cli.${++ids}`, ...(timeoutMs ? { timeoutMs } : {}) });

/** Polls the CLI at each time it asks for (and every 100 ms, standing in for the log's wakes) up to `to`. */
function run(c: SimCli, from: number, to: number, script: Record<number, () => void> = {}): void {
  for (let now = from, i = 0; now <= to && i < 100_000; i++) {
    script[now]?.();
    const { nextAt } = c.poll(now);
    const tick = Math.floor(now / 100) * 100 + 100;
    now = Math.min(nextAt ?? Infinity, tick, ...Object.keys(script).map(Number).filter((t) => t > now));
  }
}

describe("operator commands in the simulator", () => {
  it("refuses what the cluster cannot carry out, with the CLI's reason, recording nothing", () => {
    const log = cluster();
    const c = cli(log);
    const bad: SimCommand[] = [
      { kind: "standby", node: "n9" },
      { kind: "move", group: "nope", node: "n1" },
    ];
    for (const x of bad) c.issue(x, 10);
    const before = log.lastSeq;
    run(c, 0, 100);
    expect(c.runs().map((r) => r.outcome)).toEqual([
      { kind: "refused", message: 'cannot standby: no node "n9" in this cluster (nodes: n1, n2)' },
      { kind: "refused", message: expect.stringMatching(/^cannot move: unknown group "nope"/) },
    ]);
    expect(log.lastSeq).toBe(before);
  });

  it("refuses a command without quorum", () => {
    const log = cluster();
    for (const node of ["n1", "n2"]) log.publish(node, ev("MembershipChanged", node, { members: [node], quorum: false }, 1), 1);
    const c = cli(log);
    c.issue({ kind: "clear", group: "web" }, 10);
    run(c, 0, 100);
    expect(c.runs()[0]!.outcome).toMatchObject({ kind: "refused", message: expect.stringMatching(/^cannot clear: the cluster has no quorum/) });
  });

  it("already so: nothing recorded, done at once", () => {
    const log = cluster();
    const c = cli(log);
    c.issue({ kind: "online", node: "n1" }, 10);
    const before = log.lastSeq;
    run(c, 0, 100);
    expect(c.runs()[0]!.outcome).toMatchObject({ kind: "done", message: expect.stringMatching(/^already so: node n1 is online/) });
    expect(log.lastSeq).toBe(before);
  });

  it("a move is recorded, then carried out when the group runs on its target", () => {
    const log = cluster();
    const c = cli(log);
    c.issue({ kind: "move", group: "web", node: "n2" }, 10);
    run(c, 0, 1_000, {
      500: () => {
        log.publish("n1", ev("GroupStopped", "n1", { group: "web" }, 500), 500);
        log.publish("n2", ev("GroupStarted", "n2", { group: "web" }, 500), 500);
      },
    });
    const r = c.runs()[0]!;
    expect(log.entries().find((e) => e.seq === r.recorded[0])!.event).toMatchObject({ type: "MoveRequested", group: "web", target: "n2", node: "cli" });
    expect(r.outcome).toMatchObject({ kind: "done", message: expect.stringMatching(/^carried out \(#\d+\)$/) });
    expect(r.endedAt).toBeGreaterThanOrEqual(500);
  });

  it("a move the agents block is refused with their reason as soon as the log says it", () => {
    const log = cluster();
    const c = cli(log);
    c.issue({ kind: "move", group: "web", node: "n2" }, 10);
    run(c, 0, 1_000, { 300: () => void log.publish("n1", ev("GroupBlocked", "n1", { group: "web", reason: "stop failed" }, 300), 300) });
    expect(c.runs()[0]!.outcome).toMatchObject({ kind: "refused", message: expect.stringMatching(/^cannot move: group web is blocked/) });
  });

  it("--wait gives up after its timeout when nothing happens: left hanging", () => {
    const log = cluster();
    const c = cli(log, 2_000);
    c.issue({ kind: "standby", node: "n1" }, 10);
    run(c, 0, 5_000);
    const r = c.runs()[0]!;
    expect(r.recorded).toHaveLength(1);
    expect(r.outcome).toEqual({ kind: "timeout", message: "standby is in the log but was not carried out within 2 s" });
    expect(r.endedAt).toBe(2_010 + 2); // after the ack (2 ms), the timeout
  });

  it("an unreachable log: the fold retries while it is away, and gives up after the read timeout", () => {
    const log = cluster();
    log.outage(0, 1_000);
    log.outage(2_000, 2_000 + DEFAULT_READ_TIMEOUT_MS + 1_000);
    const c = cli(log);
    c.issue({ kind: "online", node: "n1" }, 10);
    c.issue({ kind: "online", node: "n1" }, 2_000);
    run(c, 0, 30_000);
    const [a, b] = c.runs();
    expect(a!.outcome?.kind).toBe("done");
    expect(a!.endedAt).toBe(1_000);
    expect(b!.outcome).toMatchObject({ kind: "refused", message: expect.stringMatching(/did not answer within 10 s/) });
  });

  it("an ack slower than the CLI's timeout: the CLI says not accepted, though the log holds the command", () => {
    const log = cluster();
    log.slowAcks(0, 1_000, CLI_PUBLISH_TIMEOUT_MS);
    const c = cli(log);
    c.issue({ kind: "standby", node: "n2" }, 10);
    run(c, 0, 10_000);
    expect(c.runs()[0]!.outcome).toEqual({ kind: "refused", message: "the event log did not accept the command: timeout" });
    expect(log.entries().at(-1)!.event).toMatchObject({ type: "StandbyRequested", target: "n2" });
  });

  it("hb takeover moves every selected group to the node, one move after another", () => {
    const log = cluster();
    const c = cli(log, 1_000);
    c.issue({ kind: "hb", verb: "takeover", which: "foreign", node: "n1" }, 10);
    run(c, 0, 5_000, { 400: () => void log.publish("n1", ev("GroupStarted", "n1", { group: "db" }, 400), 400) });
    const r = c.runs()[0]!;
    expect(r.moves.map((m) => m.command)).toEqual([{ kind: "move", group: "db", node: "n1" }]);
    expect(r.outcome).toMatchObject({ kind: "done" });
    expect(commandVerb(r.command)).toBe("hb takeover");
    expect(describeCommand(r.command)).toBe("vigil hb takeover foreign --node n1 --wait");
  });

  it("hb standby with no other online node is refused", () => {
    const log = cluster();
    log.publish("n1", ev("NodeDead", "n1", { peer: "n2", silentMs: 600 }, 1), 1);
    log.publish("n2", ev("AgentStopped", "n2", {}, 1), 1);
    const c = cli(log);
    c.issue({ kind: "hb", verb: "standby", which: "all", node: "n1" }, 10);
    run(c, 0, 100);
    expect(c.runs()[0]!.outcome).toMatchObject({ kind: "refused", message: "cannot hb standby: no other online node to take n1's groups" });
  });

  it("one operator: a command starts only when the one before returned", () => {
    const log = cluster();
    const c = cli(log, 1_000);
    c.issue({ kind: "standby", node: "n1" }, 10);
    c.issue({ kind: "online", node: "n2" }, 20);
    run(c, 0, 3_000);
    const [a, b] = c.runs();
    expect(b!.startedAt).toBe(a!.endedAt);
  });
});
