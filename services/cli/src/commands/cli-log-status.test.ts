// `vigil log` filters and `vigil status` against a real nats-server, with events published through
// the agent's own outbox and publisher; and the operator commands' refusals, on a folded view.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { seedLog, type SeededLog } from "../../../agent/test-support/seeded-log.js";
import { checkCommand } from "./operator.js";

const VIGIL = join(import.meta.dirname, "../../bin/vigil.js");
const CLUSTER = "logtest";
let log: SeededLog;
let n = 0;
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>, time: number) =>
  makeEvent(type, body, { id: `t.${++n}`, node, time, cause: `because ${n}` });

const T0 = Date.parse("2026-01-01T00:00:00Z");
const events = [
  ev("ConfigLoaded", "n1", { nodes: ["n1", "n2", "n3"], groups: [{ id: "web", preferredNode: "n1", resources: ["IPaddr::198.51.100.50"] }], autoFailback: "on", keepaliveMs: 50, deadtimeMs: 200 }, T0),
  ev("AgentStarted", "n1", { generation: 1, version: "x", pid: 1 }, T0 + 1000),
  ev("AgentStarted", "n2", { generation: 1, version: "x", pid: 2 }, T0 + 2000),
  ev("GroupStarted", "n1", { group: "web" }, T0 + 3000),
  ev("ResourceFailed", "n1", { group: "web", resource: "IPaddr::198.51.100.50", op: "monitor", rc: 7, message: "gone", failcount: 1 }, T0 + 4000),
  ev("StandbyRequested", "cli", { target: "n2" }, T0 + 5000),
];

beforeAll(async () => {
  log = await seedLog(CLUSTER, events);
});
afterAll(async () => {
  await log?.stop();
});

const vigil = (...args: string[]) => spawnSync(process.execPath, [VIGIL, ...args, "--nats", log.nats.url, "--cluster", CLUSTER], { encoding: "utf8", timeout: 20_000 });
const jsonLines = (s: string) => s.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number; type: string; node: string; id: string; time: string });

describe("vigil log", () => {
  it("prints every event oldest first, one JSON object per line with seq, id, type, node, time", () => {
    const r = vigil("log", "--json");
    expect(r.status).toBe(0);
    const got = jsonLines(r.stdout);
    expect(got.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.keys(got[0]!)).toEqual(expect.arrayContaining(["seq", "id", "type", "node", "time", "cause"]));
  });

  it("filters by --type, --node, --from and --since", () => {
    expect(jsonLines(vigil("log", "--json", "--type", "AgentStarted").stdout).map((e) => e.node)).toEqual(["n1", "n2"]);
    expect(jsonLines(vigil("log", "--json", "--node", "n1").stdout).map((e) => e.type)).toEqual(["ConfigLoaded", "AgentStarted", "GroupStarted", "ResourceFailed"]);
    expect(jsonLines(vigil("log", "--json", "--from", "5").stdout).map((e) => e.seq)).toEqual([5, 6]);
    // --since filters on the time JetStream stored each event, which is now: everything, or nothing.
    expect(jsonLines(vigil("log", "--json", "--since", "1h").stdout)).toHaveLength(6);
    expect(jsonLines(vigil("log", "--json", "--since", new Date(Date.now() + 60_000).toISOString()).stdout)).toHaveLength(0);
  });

  it("prints for people by default, and refuses bad filters with the reason", () => {
    const r = vigil("log", "--type", "ResourceFailed");
    expect(r.stdout).toMatch(/#5\s+n1\s+ResourceFailed\s+group=web resource=IPaddr::198.51.100.50 op=monitor rc=7/);
    const bad = vigil("log", "--from", "x");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--from: "x" is not a sequence number/);
    const both = vigil("log", "--from", "2", "--since", "1h");
    expect(both.status).toBe(2);
  });
});

describe("vigil status", () => {
  it("shows nodes, the group where it runs, failcounts and standby, for people and as JSON", () => {
    const j = JSON.parse(vigil("status", "--json").stdout);
    expect(j.nodes).toEqual([
      expect.objectContaining({ name: "n1", state: "online" }),
      expect.objectContaining({ name: "n2", state: "standby" }),
      expect.objectContaining({ name: "n3", state: "offline" }),
    ]);
    expect(j.groups).toEqual([expect.objectContaining({ id: "web", node: "n1", state: "started" })]);
    expect(j.groups[0].resources[0]).toMatchObject({ id: "IPaddr::198.51.100.50", failcounts: { n1: 1 } });
    const text = vigil("status").stdout;
    expect(text).toMatch(/Online: \[ n1 \]/);
    expect(text).toMatch(/Standby: \[ n2 \]/);
    expect(text).toMatch(/OFFLINE: \[ n3 \]/);
    expect(text).toMatch(/Resource Group: web\s+started on n1/);
    expect(text).toMatch(/failcount: n1=1/);
  });
});

describe("operator commands refuse what cannot be done", () => {
  const view = () => {
    const v = emptyView("c");
    events.forEach((e, i) => applyEvent(v, e, i + 1));
    return v;
  };
  it("names the unknown node or group, a move to a node not online, and the lack of quorum", () => {
    expect(checkCommand(view(), { kind: "standby", node: "n9" })).toMatch(/^no node "n9" in this cluster \(nodes: n1, n2, n3\)$/);
    expect(checkCommand(view(), { kind: "cleanup", group: "db" })).toMatch(/unknown group "db"/);
    expect(checkCommand(view(), { kind: "move", group: "web", node: "n2" })).toMatch(/n2 is standby/);
    expect(checkCommand(view(), { kind: "move", group: "web", node: "n1" })).toBeNull();
    const lonely = view();
    applyEvent(lonely, ev("AgentStopped", "n2", {}, T0 + 6000), 7);
    expect(checkCommand(lonely, { kind: "online", node: "n2" })).toMatch(/no quorum: .*1 of 3 nodes: no majority/);
    expect(checkCommand(emptyView("c"), { kind: "online", node: "n1" })).toMatch(/no cluster configuration yet/);
  });
});
