// `vigil log` against a real nats-server, on a log where each observer recorded its own copy of one
// change (as three agents do): folded into one line for people, every copy with --all and --json;
// --type in any case, --about for the node an event concerns, --node for its writer. And a command
// refused for its usage records nothing.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { seedLog, type SeededLog } from "../../../agent/test-support/seeded-log.js";

const VIGIL = join(import.meta.dirname, "../../bin/vigil.js");
const CLUSTER = "foldtest";
let log: SeededLog;
let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>, dt: number) =>
  makeEvent(type, body, { id: `f.${++n}`, node, time: T0 + dt, cause: `cause ${n}` });

const groups = [{ id: "web", preferredNode: "n1", resources: ["Dummy::web"] }];
const events = [
  ev("ConfigLoaded", "n1", { nodes: ["n1", "n2", "n3"], groups, autoFailback: "on", keepaliveMs: 100, deadtimeMs: 1000 }, 0),
  ev("ConfigLoaded", "n3", { nodes: ["n1", "n2", "n3"], groups, autoFailback: "on", keepaliveMs: 100, deadtimeMs: 1000 }, 40),
  ev("NodeUp", "n1", { peer: "n2", generation: 7 }, 1000), //   #3
  ev("GroupStarted", "n1", { group: "web" }, 1050), //           #4: not a copy of anything
  ev("NodeUp", "n3", { peer: "n2", generation: 7 }, 1100), //   #5: n1's #3, seen by n3 too
  ev("NodeUp", "n2", { peer: "n1", generation: 3 }, 1150), //   #6: another change
  ev("StandbyRequested", "cli", { target: "n3" }, 2000), //      #7
  ev("NodeDead", "n1", { peer: "n2", silentMs: 1000 }, 60_000), // #8
  ev("NodeDead", "n3", { peer: "n2", silentMs: 1010 }, 60_020), // #9
  // n2 comes back a minute later: a new change, not a copy of #3/#5.
  ev("NodeUp", "n1", { peer: "n2", generation: 7 }, 120_000), // #10
];

beforeAll(async () => {
  log = await seedLog(CLUSTER, events);
});
afterAll(async () => {
  await log?.stop();
});

const vigil = (...args: string[]) => spawnSync(process.execPath, [VIGIL, ...args, "--nats", log.nats.url, "--cluster", CLUSTER], { encoding: "utf8", timeout: 20_000 });
const lines = (s: string) => s.trim().split("\n").filter(Boolean);
const seqs = (s: string) => lines(s).map((l) => (JSON.parse(l) as { seq: number }).seq);

describe("vigil log folds the per-observer copies of one change", () => {
  it("prints one line per change for people, saying who saw it", () => {
    const r = vigil("log");
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(8);
    expect(out[0]).toMatch(/#1\s+n1\s+ConfigLoaded .*\(seen by n1 #1, n3 #2\)/);
    expect(out[1]).toMatch(/#3\s+n1\s+NodeUp\s+peer=n2 generation=7\s+\(seen by n1 #3, n3 #5\)$/);
    expect(out[2]).toMatch(/#4\s+n1\s+GroupStarted\s+group=web\s+\(cause 4\)$/);
    expect(out[3]).toMatch(/#6\s+n2\s+NodeUp\s+peer=n1 generation=3\s+\(cause 6\)$/);
    expect(out[4]).toMatch(/#7\s+cli\s+StandbyRequested/);
    // silentMs differs between observers: not the same fields, so not folded.
    expect(out[5]).toMatch(/#8\s+n1\s+NodeDead/);
    expect(out[6]).toMatch(/#9\s+n3\s+NodeDead/);
    expect(out[7]).toMatch(/#10\s+n1\s+NodeUp\s+peer=n2 generation=7\s+\(cause 10\)$/);
  });

  it("--all prints every copy; --json prints every event, one per line", () => {
    expect(lines(vigil("log", "--all").stdout)).toHaveLength(events.length);
    expect(seqs(vigil("log", "--json").stdout)).toEqual(events.map((_, i) => i + 1));
  });
});

describe("vigil log filters", () => {
  it("--type in any case", () => {
    expect(seqs(vigil("log", "--json", "--type", "nodeup").stdout)).toEqual([3, 5, 6, 10]);
    expect(seqs(vigil("log", "--json", "--type", "NODEDEAD").stdout)).toEqual([8, 9]);
  });

  it("--node is the writer, --about the node the event concerns", () => {
    expect(seqs(vigil("log", "--json", "--node", "n2").stdout)).toEqual([6]);
    // About n2: NodeUp/NodeDead with peer n2; not n2's own report about n1 (#6).
    expect(seqs(vigil("log", "--json", "--about", "n2").stdout)).toEqual([3, 5, 8, 9, 10]);
    // About n3: the standby command's target, and n3's own ConfigLoaded.
    expect(seqs(vigil("log", "--json", "--about", "n3").stdout)).toEqual([2, 7]);
    // About n1: its own group start and ConfigLoaded, n2's NodeUp of n1.
    expect(seqs(vigil("log", "--json", "--about", "n1").stdout)).toEqual([1, 4, 6]);
    const folded = lines(vigil("log", "--about", "n2").stdout);
    expect(folded[0]).toMatch(/seen by n1 #3, n3 #5/);
  });

  it("--node or --about a node the cluster does not have says so (exit 1) rather than print nothing", () => {
    for (const flag of ["--node", "--about"]) {
      const r = vigil("log", flag, "n9");
      expect(r.status, flag).toBe(1);
      expect(r.stderr).toBe('vigil: no node "n9" in this cluster (nodes: n1, n2, n3)\n');
      expect(r.stdout).toBe("");
    }
    // A writer that is not a node, but wrote something, is a writer: the CLI's own commands.
    expect(seqs(vigil("log", "--json", "--node", "cli").stdout)).toEqual([7]);
    expect(vigil("log", "--about", "cli").status).toBe(1);
  });

  it("--since a duration or a time; a bare number is refused, not read as a year", () => {
    // Stored now: everything is within the last hour.
    expect(seqs(vigil("log", "--json", "--since", "1h").stdout)).toHaveLength(events.length);
    const bare = vigil("log", "--since", "5");
    expect(bare.status).toBe(2);
    expect(bare.stderr).not.toMatch(/invalid JSON/);
    expect(bare.stderr).toMatch(/bare number/);
  });
});

describe("a command refused for its usage", () => {
  it("records nothing: `resource move web n1 n2` does not move web to n1", () => {
    const before = seqs(vigil("log", "--json").stdout).length;
    const r = vigil("resource", "move", "web", "n1", "n2");
    expect(r.status).toBe(2);
    expect(seqs(vigil("log", "--json").stdout)).toHaveLength(before);
  });
});
