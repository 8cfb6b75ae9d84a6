// Issue 8, "a failed duplicate agent", with unicast heartbeats: a second `vigil agent --node n1` on
// another host (another namespace on the lab's bridge) with n1's ha.cf. The running n1 sends only to
// n2 and n3, so the newcomer hears nothing of it during its listen. On main it announced, n2 and n3
// took it for n1's restart and dropped the real n1's packets as stale: the real n1 lost quorum and
// its group. The peers hear both and judge by the order of the packets (peer-twins.ts): they answer
// the newcomer's probes TAKEN and it leaves having recorded nothing. A kill -9 of n1 and an
// immediate restart on its state dir, heard by the same peers, is still n1's restart.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import { nodeAddr, type Lab } from "./lab.js";
import { LabProcess, type Exit } from "./lab-process.js";
import { LAB_SUBNET } from "./netns.js";
import { startWebOnN1, type WebOnN1 } from "./web-on-n1.js";
import { vigilArgv } from "./repo-root.js";
import { inNs } from "./sh.js";

const VIP = `${LAB_SUBNET}.71`;
const DUP_ADDR = `${LAB_SUBNET}.32`;

let l: Lab;
let tail: EventTail;
let firstStarted: LoggedEvent;
let holds: WebOnN1["holds"];


describe("a second agent for n1 on another host, with ucast heartbeats", () => {
  beforeAll(async () => {
    ({ l, tail, firstStarted, holds } = await startWebOnN1(VIP, { media: (lab) => lab.nodes.map((_, i) => `ucast eth0 ${nodeAddr(i)}`) }));
  }, 90_000);

  afterAll(async () => {
    await l?.destroy();
  });

  it("the peers answer its probes TAKEN: it exits 1 having recorded nothing, they record DuplicateNode, the real n1 keeps its group", { timeout: 60_000 }, async () => {
    onTestFailed(() => console.error(l.diagnostics()));
    const dup = await l.net.addHost("d", DUP_ADDR);
    const from = Date.now();
    const argv = [...vigilArgv(), "agent", "--config", l.agents.configDir("n1"), "--node", "n1", "--nats", l.nats.urls().join(","), "--state-dir", join(l.dir, "state-n1-elsewhere")];
    const p = l.track(new LabProcess("agent-n1-elsewhere", inNs(dup.ns, argv), join(l.dir, "agent-n1-elsewhere.log")));
    const exit = await Promise.race([p.exited, new Promise<Exit | null>((r) => setTimeout(() => r(null), 20_000))]);
    // Still running (the defect): stop it, or the next test's n1 would hear it and refuse to start.
    if (p.alive) await p.stop(5_000);
    expect(exit?.code, p.logTail()).toBe(1);
    // It heard nothing of n1 itself (n1 sends to n2 and n3 only): a peer told it.
    expect(p.logTail()).toMatch(new RegExp(`another agent already runs as node n1 \\(generation \\d+, heartbeats from ${LAB_SUBNET.replace(/\./g, "\\.")}\\.1[23]:\\d+\\); refusing to start a second one`));
    const peerDup = await tail.waitFor((e) => e.type === "DuplicateNode" && e.peer === "n1" && (e.node === "n2" || e.node === "n3"), 10_000, "a peer's DuplicateNode for n1");
    expect(peerDup).toMatchObject({ refused: "other" });
    expect(String(peerDup.from)).toMatch(new RegExp(`^${DUP_ADDR.replace(/\./g, "\\.")}:`));
    // Several deadtimes later the real n1 still has everything: no restart, death or stop seen.
    await new Promise((r) => setTimeout(r, 3_000));
    const since = tail.events().filter((e) => e.seq > firstStarted.seq && Date.parse(e.time) >= from);
    expect(since.filter((e) => /^Group(Stopping|Stopped)$|^NodeRestarted$|^NodeDead$|^QuorumLost$/.test(e.type)).map((e) => `${e.node} ${e.type} ${e.peer ?? e.group ?? ""}`)).toEqual([]);
    expect(since.filter((e) => e.type === "AgentStarted" && e.node === "n1")).toEqual([]);
    expect(await holds("n1")).toBe(true);
  });

  it("a kill -9 of n1 and an immediate restart on its state dir is n1's restart: it starts, gets web back, nobody reports a duplicate", { timeout: 90_000 }, async () => {
    onTestFailed(() => console.error(l.diagnostics()));
    const mark = Math.max(0, ...tail.events().map((e) => e.seq));
    await l.agents.kill9("n1");
    l.agents.start("n1");
    const restarted = await tail.waitFor((e) => e.seq > mark && is("AgentStarted", { node: "n1" })(e), 30_000, "n1's AgentStarted");
    await tail.waitFor((e) => e.seq > restarted.seq && is("GroupStarted", { node: "n1" })(e) && e.group === "web", 45_000, "web started on n1 again");
    await tail.waitForAll(
      ["n2", "n3"].map((o) => (e: LoggedEvent) => e.seq > mark && e.node === o && e.peer === "n1" && /^Node(Restarted|Up|Returned)$/.test(e.type)),
      30_000,
      "n2 and n3 hear n1 back",
    );
    expect(l.agents.proc("n1").alive).toBe(true);
    expect(tail.events().filter((e) => e.seq > mark && e.type === "DuplicateNode").map((e) => `${e.node} ${String(e.peer ?? "")}`)).toEqual([]);
    expect(await holds("n1")).toBe(true);
  });
});
