// Issue 8, "a failed duplicate agent": a second `vigil agent --node n1` for a node that already runs
// one is refused before it records anything. On main it logged AgentStarted (and ConfigLoaded) before
// its bind failed, and the status then showed n1's group stopped while the real n1 ran it.
// Two ways in: the same state dir on the same host (the lock), and another state dir on another host
// (here another namespace on the lab's bridge) with the same node name (heard on the heartbeat media).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import type { Lab } from "./lab.js";
import { LabProcess, type Exit } from "./lab-process.js";
import { LAB_SUBNET } from "./netns.js";
import { startWebOnN1, type WebOnN1 } from "./web-on-n1.js";
import { vigilArgv } from "./repo-root.js";
import { inNs } from "./sh.js";

const VIP = `${LAB_SUBNET}.70`;
/** The second host for n1's name, on the bridge beside the nodes (.11–.13). */
const DUP_ADDR = `${LAB_SUBNET}.31`;

let l: Lab;
let tail: EventTail;
let firstStarted: LoggedEvent;
let holds: WebOnN1["holds"];


/** `vigil agent --node n1` in namespace `ns` on `stateDir`; resolves with its exit and its stderr. */
async function secondAgent(ns: string, stateDir: string, name: string): Promise<{ exit: Exit; log: string }> {
  const argv = [...vigilArgv(), "agent", "--config", l.agents.configDir("n1"), "--node", "n1", "--nats", l.nats.urls().join(","), "--state-dir", stateDir];
  const logFile = join(l.dir, `${name}.log`);
  const p = l.track(new LabProcess(name, inNs(ns, argv), logFile));
  const exit = await Promise.race([p.exited, new Promise<Exit>((_, reject) => setTimeout(() => reject(new Error(`${name} still runs after 20 s:\n${p.logTail()}`)), 20_000))]);
  return { exit, log: readFileSync(logFile, "utf8") };
}

async function webOnN1(): Promise<void> {
  const r = await l.cli.run(["status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout) as { groups: Array<{ id: string; node: string | null; state: string }> };
  expect(s.groups.find((g) => g.id === "web")).toMatchObject({ node: "n1", state: "started" });
  expect(await holds("n1")).toBe(true);
}

/** Every AgentStarted n1 has recorded: only the first agent's, whatever was refused since. */
const agentStartsOfN1 = () => tail.events().filter((e) => is("AgentStarted", { node: "n1" })(e));

describe("a second agent for a node that already runs one", () => {
  beforeAll(async () => {
    ({ l, tail, firstStarted, holds } = await startWebOnN1(VIP));
  }, 90_000);

  afterAll(async () => {
    await l?.destroy();
  });

  it("on the same state dir: refused by the state dir's lock with a clear message, and nothing of it reaches the log or the outbox", { timeout: 60_000 }, async () => {
    onTestFailed(() => console.error(l.diagnostics()));
    const outbox = join(l.agents.stateDir("n1"), "outbox.jsonl");
    const linesBefore = readFileSync(outbox, "utf8").split("\n").length;
    const { exit, log } = await secondAgent(l.host("n1").ns, l.agents.stateDir("n1"), "agent-n1-same-dir");
    expect(exit.code, log).toBe(1);
    expect(log).toMatch(new RegExp(`vigil agent: node n1 already runs from state dir .* \\(pid ${l.agents.pid("n1")}, .*agent\\.lock\\); refusing to start a second agent on it`));
    // It wrote nothing to the state dir's outbox (which the running agent appends to: compare ids).
    const added = readFileSync(outbox, "utf8").split("\n").slice(linesBefore - 1).filter((x) => x.trim());
    expect(added.filter((x) => /"type":"AgentStarted"/.test(x)), "no AgentStarted in the outbox").toEqual([]);
    expect(l.agents.proc("n1").alive).toBe(true);
    await webOnN1();
    expect(agentStartsOfN1()).toHaveLength(1);
  });

  it("with another state dir on another host: it hears n1's heartbeats and leaves, n1 records DuplicateNode and keeps its group", { timeout: 60_000 }, async () => {
    onTestFailed(() => console.error(l.diagnostics()));
    const dup = await l.net.addHost("d", DUP_ADDR);
    const stateDir = join(l.dir, "state-n1-elsewhere");
    const from = Date.now();
    const { exit, log } = await secondAgent(dup.ns, stateDir, "agent-n1-elsewhere");
    expect(exit.code, log).toBe(1);
    expect(log).toMatch(/vigil agent: another agent already runs as node n1 \(generation \d+, heartbeats from 198\.51\.100\.11:\d+\); refusing to start a second one/);
    // The running n1 heard the newcomer's probes: it records the attempt, and that it keeps the node.
    const dupEvent = await tail.waitFor(is("DuplicateNode", { node: "n1" }), 10_000, "n1's DuplicateNode");
    expect(dupEvent).toMatchObject({ refused: "other" });
    expect(dupEvent.from).toMatch(new RegExp(`^${DUP_ADDR.replace(/\./g, "\\.")}:`));
    // Nothing of the refused agent: no outbox (a later start would publish it), no event, no stop.
    expect(existsSync(join(stateDir, "outbox.jsonl"))).toBe(false);
    expect(agentStartsOfN1()).toHaveLength(1);
    const since = tail.events().filter((e) => e.seq > firstStarted.seq && Date.parse(e.time) >= from);
    expect(since.filter((e) => /^Group(Stopping|Stopped)$|^NodeRestarted$|^NodeDead$/.test(e.type)).map((e) => `${e.node} ${e.type} ${e.peer ?? e.group ?? ""}`)).toEqual([]);
    await webOnN1();
  });
});
