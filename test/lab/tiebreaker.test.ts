// Two nodes and an arbiter (`tiebreaker nats`): while the two do not hear each other, only the node
// holding the cluster's lease on the NATS servers keeps or takes groups. Who holds the VIP is recorded
// exactly (HolderMonitor: `ip monitor address` in both namespaces, every add and delete as the kernel
// makes it), for the whole of each case. The group is heartbeat's DRBD+NFS line (VIP, drbddisk,
// Filesystem on a real ext4 loop disk, exportfs, killnfsd), and every ~10 ms the nodes are asked where
// its disk is: one DRBD Primary (the stand-in; its replication link is cut with the nodes' link, so a
// second promotion would succeed, as DRBD without fencing lets it) and one mount, at every sample.
//
// Without `tiebreaker nats` the first two cases fail: both nodes still reach NATS, so each keeps the
// old reachability witness, calls the other dead after deadtime and runs the group (n2 adds the VIP
// while n1 still holds it). Run them so with VIGIL_LAB_SHOW_SPLIT_BRAIN=1, which flips the expectation.
import { afterEach, describe, expect, it } from "vitest";
import { is, type LoggedEvent } from "./event-tail.js";
import { HolderMonitor, type HolderChange } from "./holder-monitor.js";
import { createLab, type Lab } from "./lab.js";
import { tearDownLabAfterEach } from "./lab-teardown.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { pollUntil } from "./sh.js";
import { createNfsGroup, DRBD_RES, watchStorage, type NfsGroup, type SafetyWatch } from "./nfs-fixture.js";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const VIP = `${LAB_SUBNET}.81`;
const IP_RESOURCE = `IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0`;
const SHOW = process.env.VIGIL_LAB_SHOW_SPLIT_BRAIN === "1";
/** The demo's heartbeat+DRBD+NFS group (VIP first), as two-node heartbeat clusters run it. */
const GROUP = "nfs";
// Registered before the lab's teardown, so it runs after it (after-hooks run last-registered first):
// the sampler and the loop disk outlive the agents whose mounts hold the disk.
const storageToEnd: Array<{ watch: SafetyWatch; nfs: NfsGroup }> = [];
afterEach(async () => {
  for (const { watch, nfs } of storageToEnd.splice(0)) {
    await watch.stop();
    await nfs.disk.detach();
  }
});
const keepLab = tearDownLabAfterEach();

interface Pair {
  l: Lab;
  monitor: HolderMonitor;
  tail: ReturnType<Lab["tail"]>;
  nfs: NfsGroup;
  /** Two mounts or two DRBD Primaries, sampled every ~10 ms from the agents' start. */
  storage: SafetyWatch;
}

async function pair(o: { natsServers: 1 | 3; tiebreaker?: boolean; keys?: "differ" }): Promise<Pair> {
  const l = await createLab({ nodes: ["n1", "n2"], natsServers: o.natsServers, client: true });
  keepLab(l);
  const nfs = await createNfsGroup(l, l.nodes, VIP);
  const storage = watchStorage(nfs);
  storageToEnd.push({ watch: storage, nfs });
  const extra = ["auto_failback on", ...(o.tiebreaker === false ? [] : ["tiebreaker nats"])];
  const haresources = `n1 group=${GROUP} ${nfs.resources.join(" ")}\n`;
  l.writeConfigs({ haresources, extra });
  if (o.keys === "differ") l.writeConfig("n2", { haresources, extra, key: randomBytes(24).toString("hex") });
  const monitor = HolderMonitor.forLab(l, VIP);
  await monitor.start((p) => l.track(p));
  for (const n of l.nodes) l.agents.start(n, { env: nfs.storage.agentEnv(n) });
  return { l, monitor, tail: l.tail(), nfs, storage };
}

/** One DRBD Primary and one mount at every sample, and the sampler saw the group on `on` (each, in turn). */
function oneCopyThroughout(p: Pair, on: string[]): void {
  expect(p.storage.violations, "two DRBD Primaries or two mounts at some sample").toEqual([]);
  expect(p.storage.samples()).toBeGreaterThan(20);
  for (const n of on) expect([...p.storage.seen], `the sampler saw ${n} primary and mounted`).toEqual(expect.arrayContaining([`primary:${n}`, `mounted:${n}`]));
}

/** The nodes' own link is DRBD's replication link too: cut with it, healed with it. */
const drbdLink = (p: Pair, up: boolean) => p.nfs.storage.drbdLink(DRBD_RES, up);

/** Moments at which both namespaces held the VIP, from the exact record. */
function doubleHolds(changes: readonly HolderChange[]): HolderChange[] {
  const held = new Map<string, boolean>();
  const out: HolderChange[] = [];
  for (const c of changes) {
    held.set(c.node, c.held);
    if ([...held.values()].filter(Boolean).length > 1) out.push(c);
  }
  return out;
}

/** Waits (bounded) while watching the record: resolves after `ms`, or at once when `stopIf` holds. */
async function watch(ms: number, stopIf: () => boolean = () => false): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; i < 10_000 && Date.now() < until && !stopIf(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Both sides at once (a real cut is): one nft spawn after the other would give one side a head start. */
const heartbeatCut = (l: Lab) => Promise.all([l.faults.dropUdpPort("n1", ["n2"], l.mcast.port), l.faults.dropUdpPort("n2", ["n1"], l.mcast.port)]);

describe("two nodes with `tiebreaker nats`", () => {
  it.each([1, 3] as const)(
    "heartbeat path cut, both still reach the arbiter (%i NATS server(s)): each calls the other dead, the lease winner (n1, unless its request goes unanswered) keeps the VIP, never two holders",
    { timeout: 120_000 },
    async (natsServers) => {
      const p = await pair({ natsServers, tiebreaker: !SHOW });
      const { l, monitor, tail } = p;
      await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "vip started on n1");
      await watch(5_000, () => monitor.holders().join() === "n1");
      const from = monitor.changes.length;
      await heartbeatCut(l);
      drbdLink(p, false);
      await tail.waitForAll([is("NodeDead", { node: "n1", peer: "n2" }), is("NodeDead", { node: "n2", peer: "n1" })], 20_000, "each calls the other dead");
      if (SHOW) {
        await watch(10_000, () => monitor.holders().length === 2);
        expect(monitor.holders(), "without the tie-breaker both hold the VIP").toEqual(["n1", "n2"]);
        await watch(10_000, () => p.storage.violations.length > 0);
        expect(p.storage.violations, "without the tie-breaker both are DRBD Primary").not.toEqual([]);
        return;
      }
      // n1 (holding the VIP) asks first and wins. On a loaded box a replicated KV write can take longer
      // than the request's budget (3B/5): n1 then gives the VIP up unconfirmed and n2 wins, late but
      // alone (the preference is best effort; one holder is not). Either way the rest must hold.
      const first = await tail.waitFor(is("TiebreakerWon"), 10_000, "a lease winner");
      const winner = first.node as string;
      const loser = winner === "n1" ? "n2" : "n1";
      if (winner !== "n1") {
        const n1Lost = tail.events().find((e) => is("TiebreakerLost", { node: "n1" })(e));
        expect(n1Lost?.cause, "n2 won only because n1's request went unanswered").toMatch(/no answer within/);
        await watch(5_000, () => monitor.holders().join() === "n2");
      }
      const won = first;
      const lost = await tail.waitFor(is("TiebreakerLost", { node: loser }), 10_000, `${loser} lost it`);
      if (winner === "n1") expect(lost.holder, lost.cause).toBe("n1");
      if (winner === "n1") expect(lost.token).toBe(won.token);
      // vigil status says it, where the quorum lines are (text), and as `tiebreaker` (--json).
      const st = await l.cli.run(["status", "--json"]);
      expect(st.code, st.stderr).toBe(0);
      expect(JSON.parse(st.stdout).tiebreaker).toMatchObject({ holder: winner, token: won.token, verdicts: { [winner]: { won: true }, [loser]: { won: false } } });
      const text = await l.cli.run(["status"]);
      expect(text.stdout).toMatch(new RegExp(`Tie-breaker: lease last won by ${winner}, token ${won.token}, `));
      if (winner === "n1") expect(text.stdout).toMatch(/; n2 lost \(#\d+\): n1 holds the tie-breaker lease/);
      const settled = monitor.changes.length;
      // Well past the lease's TTL (2 × deadtime, ≥ 1 s): renewals keep it, nothing moves.
      await watch(4_000);
      expect(monitor.alive()).toBe(true);
      expect(monitor.changes.slice(winner === "n1" ? from : settled), "no add or delete of the VIP anywhere during the split").toEqual([]);
      expect(monitor.holders()).toEqual([winner]);
      if (winner === "n1") expect(tail.events().filter((e) => e.type === "GroupStarting" && e.node === "n2")).toEqual([]);
      // Healed: heard again, nothing moves either.
      await l.faults.healAll();
      drbdLink(p, true);
      await tail.waitFor((e) => is("MembershipChanged", { node: "n2" })(e) && (e.members as string[]).length === 2 && e.seq! > lost.seq!, 20_000, "n2 hears n1 again");
      await watch(1_000);
      if (winner === "n1") expect(monitor.changes.slice(from)).toEqual([]);
      expect(doubleHolds(monitor.changes)).toEqual([]);
      oneCopyThroughout(p, [...new Set(["n1", winner])]);
    },
  );

  it("crossed preferences (two VIPs, one preferred on each node), heartbeat cut: the lease winner runs both, never two holders of either", { timeout: 120_000 }, async () => {
    const l = await createLab({ nodes: ["n1", "n2"], natsServers: 1, client: true });
    keepLab(l);
    const VIP2 = `${LAB_SUBNET}.83`;
    const haresources = `n1 group=vip ${IP_RESOURCE}\nn2 group=vip2 IPaddr::${VIP2}/${LAB_PREFIXLEN}/eth0\n`;
    l.writeConfigs({ haresources, extra: ["auto_failback on", "tiebreaker nats"] });
    const m1 = HolderMonitor.forLab(l, VIP);
    const m2 = HolderMonitor.forLab(l, VIP2, { logDir: join(l.dir, "vip2") });
    mkdirSync(join(l.dir, "vip2"), { recursive: true });
    await m1.start((p) => l.track(p));
    await m2.start((p) => l.track(p));
    for (const n of l.nodes) l.agents.start(n);
    const tail = l.tail();
    await tail.waitForAll([is("GroupStarted", { node: "n1" }), is("GroupStarted", { node: "n2" })], 30_000, "each VIP on its preferred node");
    await watch(5_000, () => m1.holders().join() === "n1" && m2.holders().join() === "n2");
    // From the cut on (at start-up, on a loaded box, n2 may hold vip until n1 is heard: initdead).
    const from1 = m1.changes.length;
    await heartbeatCut(l);
    // One group each: a tie, so the first in ha.cf order (n1) asks first and wins; n2 stops vip2 before it asks.
    const won = await tail.waitFor(is("TiebreakerWon"), 20_000, "a lease winner");
    expect(won.node).toBe("n1");
    await tail.waitFor((e) => is("GroupStarted", { node: "n1" })(e) && e.group === "vip2", 20_000, "n1 runs vip2 too");
    await watch(3_000, () => m2.holders().join() === "n1");
    expect(m1.holders()).toEqual(["n1"]);
    expect(m2.holders()).toEqual(["n1"]);
    expect(doubleHolds(m1.changes)).toEqual([]);
    expect(doubleHolds(m2.changes)).toEqual([]);
    expect(m1.changes.slice(from1).filter((c) => c.node === "n2" && c.held)).toEqual([]);
  });

  it("keys differ from the start: the nodes never hear each other; only the node that took the lease first starts the VIP", { timeout: 90_000 }, async () => {
    const p = await pair({ natsServers: 1, keys: "differ", tiebreaker: !SHOW });
    const { l, monitor, tail } = p;
    if (SHOW) {
      await watch(20_000, () => monitor.holders().length === 2);
      expect(monitor.holders(), "without the tie-breaker both hold the VIP").toEqual(["n1", "n2"]);
      return;
    }
    // Neither hears the other from the start: whoever asks first holds the lease (here the agent that
    // started first, not necessarily the VIP's preferred node), the other never gets quorum.
    const won = await tail.waitFor(is("TiebreakerWon"), 20_000, "a node took the lease");
    const loser = l.nodes.find((n) => n !== won.node)!;
    const lost = await tail.waitFor(is("TiebreakerLost", { node: loser }), 10_000, "the other lost it");
    expect(lost.holder, lost.cause).toBe(won.node);
    await tail.waitFor(is("GroupStarted", { node: won.node }), 30_000, "vip started on the lease holder");
    await tail.waitFor(is("PacketsDropped", { node: loser }), 20_000, "the loser reports the packets it rejected");
    await watch(4_000);
    expect(monitor.holders()).toEqual([won.node]);
    expect(monitor.changes.filter((c) => c.node === loser && c.held)).toEqual([]);
    expect(tail.events().filter((e) => e.type === "GroupStarting" && e.node === loser)).toEqual([]);
    oneCopyThroughout(p, [won.node as string]);
  });

  it("the holder loses both its peer and NATS (link down): it stops; n2 takes the lease, then the VIP; never both", { timeout: 90_000 }, async () => {
    const p = await pair({ natsServers: 1 });
    const { l, monitor, tail } = p;
    const started = await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "the group started on n1");
    await watch(5_000, () => monitor.holders().join() === "n1");
    await l.faults.linkDown("n1");
    drbdLink(p, false);
    await tail.waitFor((e) => is("TiebreakerWon", { node: "n2" })(e) && e.seq! > started.seq!, 20_000, "n2 won the lease");
    await tail.waitFor((e) => is("GroupStarted", { node: "n2" })(e) && e.group === GROUP && e.seq > started.seq, 20_000, "n2 took the group");
    // (After n1's start: on a loaded box n2 may have started the VIP at boot, heard n1, and given it back.)
    const starting = tail.events().find((e) => is("GroupStarting", { node: "n2" })(e) && e.group === GROUP && e.seq > started.seq) as LoggedEvent;
    expect(typeof starting.tiebreakToken, `the start carries the lease's token: ${JSON.stringify(starting)}`).toBe("number");
    await watch(3_000, () => monitor.holders().join() === "n2");
    expect(monitor.holders()).toEqual(["n2"]);
    expect(doubleHolds(monitor.changes)).toEqual([]);
    // n1's own account reaches the log once its link is back: it stopped without the lease.
    await l.faults.linkUp("n1");
    drbdLink(p, true);
    const lost = await tail.waitFor((e) => is("TiebreakerLost", { node: "n1" })(e) && e.seq > started.seq, 20_000, "n1's verdict");
    expect(lost.holder, "n1's first question got no answer in time").toBeNull();
    oneCopyThroughout(p, ["n1", "n2"]);
  });

  it.each([1, 3] as const)("the arbiter killed with both nodes healthy (%i server(s); of three, the lease bucket's Raft leader): nothing moves, no stop", { timeout: 90_000 }, async (natsServers) => {
    const p = await pair({ natsServers });
    const { l, monitor, tail } = p;
    await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "the group started on n1");
    await watch(5_000, () => monitor.holders().join() === "n1");
    const from = monitor.changes.length;
    const seen = tail.events().length;
    // (Just after start-up the bucket's stream may still be electing its first leader.)
    const victim = natsServers === 1 ? 0 : await pollUntil("the lease bucket's leader", () => l.nats.streamLeader("KV_vigil_lab_tiebreak"), { timeoutMs: 15_000, intervalMs: 250 });
    await l.nats.kill(victim);
    // Longer than a Raft election (4–9 s is the figure; measured in npm run bench).
    await watch(natsServers === 1 ? 5_000 : 10_000);
    expect(monitor.changes.slice(from), "no add or delete of the VIP").toEqual([]);
    expect(monitor.holders()).toEqual(["n1"]);
    await l.nats.restart(victim);
    await watch(3_000);
    const after = tail.events().slice(seen).map((e) => e.type);
    expect(after.filter((t) => /^(GroupStopping|GroupStarting|QuorumLost|TiebreakerLost|NodeDead)$/.test(t))).toEqual([]);
    expect(monitor.changes.slice(from)).toEqual([]);
    // With the peer heard nothing flips by time: no timer may be set to Infinity (Node runs it after
    // 1 ms, and the lease's wake spun every millisecond in a healthy two-node cluster).
    for (const n of l.nodes) expect(readFileSync(l.agents.logFile(n), "utf8"), `${n}'s log`).not.toMatch(/TimeoutOverflowWarning/);
    oneCopyThroughout(p, ["n1"]);
    expect(p.storage.seen.has("primary:n2"), "n2 never DRBD Primary").toBe(false);
  });

  it("the lease holder dies during a split (link down, kill -9): n2 takes the VIP once the lease has expired", { timeout: 120_000 }, async () => {
    const p = await pair({ natsServers: 1 });
    const { l, monitor, tail } = p;
    const started = await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "the group started on n1");
    await watch(5_000, () => monitor.holders().join() === "n1");
    await heartbeatCut(l);
    drbdLink(p, false);
    await tail.waitFor(is("TiebreakerWon", { node: "n1" }), 20_000, "n1 won the lease");
    await tail.waitFor(is("TiebreakerLost", { node: "n2" }), 20_000, "n2 lost the lease");
    await watch(1_000);
    expect(monitor.holders(), "n1 kept the VIP through the split").toEqual(["n1"]);
    await l.faults.linkDown("n1");
    const killedAt = Date.now();
    await l.agents.kill9("n1");
    // The host is gone, and its DRBD with it (an agent killed alone would leave n1 Primary).
    p.nfs.storage.drbdHostGone(DRBD_RES, "n1");
    await tail.waitFor((e) => is("GroupStarted", { node: "n2" })(e) && e.group === GROUP && e.seq > started.seq, 30_000, "n2 took the group");
    await watch(5_000, () => monitor.holders().join() === "n2");
    const added = monitor.changes.find((c) => c.node === "n2" && c.held && c.at >= killedAt)!;
    expect(added.at - killedAt, "after the lease's TTL (1.2 s in the lab), within a bound").toBeGreaterThan(1_000);
    expect(added.at - killedAt).toBeLessThan(15_000);
    expect(doubleHolds(monitor.changes)).toEqual([]);
    oneCopyThroughout(p, ["n1", "n2"]);
  });
});
