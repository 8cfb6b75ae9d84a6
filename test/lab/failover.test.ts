// Issue 3's lab tests: a floating IP (real IPaddr, real `ip addr`, real gratuitous ARP) in front of an
// HTTP server on three nodes, seen from a client fetching it every few ms. One cluster serves the whole
// file (start-up is the slow part); each test starts from the VIP settled on n1 and leaves it there.
// Throughout, an ARP watch (from a quiet host beside the client) checks that no ARP request is ever
// answered by two MACs, and each test checks with `ip -j addr` that one node alone holds the address.
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { is, type LoggedEvent } from "./event-tail.js";
import { createVipCluster, type VipCluster } from "./vip-cluster.js";
import { earliestTakeoverMs } from "@vigil/shared/config/derived-timing";

/** Generous: the assertion is "clients fail over", the numbers are the bench's job. */
const OUTAGE_BOUND_MS = 5_000;
const MOVE_MS = 20_000;
const SETTLE_MS = 600;

let c: VipCluster;
let testStart = 0;

interface Status {
  nodes: Array<{ name: string; state: string }>;
  groups: Array<{ id: string; node: string | null; state: string; resources: Array<{ id: string; state: string }> }>;
}

async function status(): Promise<Status> {
  const r = await c.lab.cli.run(["status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

/** `vigil status --json` once it says `web` is started on `node` (the log trails the wire a little). */
async function statusShowsWebOn(node: string, timeoutMs = 10_000): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let s = await status();
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    const g = s.groups.find((x) => x.id === c.group);
    if (g?.node === node && g.state === "started") return s;
    await new Promise((r) => setTimeout(r, 200));
    s = await status();
  }
  return s;
}

const holders = () => c.holders();
const waitOnlyHolder = (node: string) => c.waitOnlyHolder(node, MOVE_MS);

async function expectNoSplitBrain(since: number): Promise<void> {
  // A watch that heard nothing proves nothing: wait (bounded) for at least one answered request.
  expect(await c.watch!.waitHeard(since, 5_000), "the ARP watch heard no owner at all").toBe(true);
  const dups = c.watch!.duplicates(since);
  expect(dups, `ARP requests answered by two MACs: ${JSON.stringify(dups.slice(0, 5))}`).toEqual([]);
}

describe("a floating IP fails over, fails back, follows standby and move, and never has two owners", () => {
  beforeAll(async () => {
    c = await createVipCluster();
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
  }, 120_000);

  afterAll(async () => {
    await c?.destroy();
  });

  beforeEach(async () => {
    testStart = Date.now();
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${c.lab.diagnostics()}\n`));
    // Every test starts from the VIP at home, whatever the one before left.
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
    await waitOnlyHolder("n1");
    testStart = Date.now();
  });

  it("the VIP answers from n1, its preferred node, and only n1 holds the address", async () => {
    expect(await holders()).toEqual(["n1"]);
    const s = await statusShowsWebOn("n1");
    expect(s.groups.find((g) => g.id === c.group)).toMatchObject({ node: "n1", state: "started" });
    expect(Object.fromEntries(s.nodes.map((n) => [n.name, n.state]))).toEqual({ n1: "online", n2: "online", n3: "online" });
    await expectNoSplitBrain(testStart);
  });

  it("n1's link down: the client gets answers from n2 within a bounded outage; n1 back with auto_failback on returns it to n1", async () => {
    const cutAt = Date.now();
    await c.lab.faults.linkDown("n1");
    const first = await c.probe.waitForAnswerFrom("n2", MOVE_MS, cutAt);
    const outage = c.probe.outage(cutAt, first.at);
    console.log(`link-loss failover: client-visible outage ${outage.toFixed(0)} ms`);
    expect(outage).toBeLessThan(OUTAGE_BOUND_MS);
    // An outage shorter than deadtime would mean n2 took the address before it could know n1 was dead.
    expect(outage).toBeGreaterThanOrEqual(earliestTakeoverMs(c.lab.timing));
    await c.probe.waitSettledOn("n2", SETTLE_MS, MOVE_MS);
    expect(await c.holdsVip("n3")).toBe(false);

    const upAt = Date.now();
    await c.lab.faults.linkUp("n1");
    const back = await c.probe.waitForAnswerFrom("n1", MOVE_MS, upAt);
    console.log(`failback to n1: client-visible outage ${c.probe.outage(upAt, back.at).toFixed(0)} ms`);
    expect(c.probe.outage(upAt, back.at)).toBeLessThan(OUTAGE_BOUND_MS);
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
    expect(await holders(), `holders ${SETTLE_MS} ms after every answer came from n1`).toEqual(["n1"]);
    await expectNoSplitBrain(testStart);
  });

  it("`vigil node standby n1 --wait` moves the VIP off n1, and `vigil node online n1` brings it back", async () => {
    const r = await c.lab.cli.run(["node", "standby", "n1", "--wait"], 40_000);
    expect(r.code, r.stderr).toBe(0);
    const off = await c.probe.waitForAnswerFrom("n2", MOVE_MS, testStart);
    console.log(`standby switch: client-visible outage ${c.probe.outage(testStart, off.at).toFixed(0)} ms`);
    await c.probe.waitSettledOn("n2", SETTLE_MS, MOVE_MS);
    expect(await holders()).toEqual(["n2"]);
    expect((await status()).nodes.find((n) => n.name === "n1")?.state).toBe("standby");

    const onlineAt = Date.now();
    const o = await c.lab.cli.run(["node", "online", "n1", "--wait"], 40_000);
    expect(o.code, o.stderr).toBe(0);
    await c.probe.waitForAnswerFrom("n1", MOVE_MS, onlineAt);
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
    expect(await holders()).toEqual(["n1"]);
    expect((await status()).nodes.find((n) => n.name === "n1")?.state).toBe("online");
    await expectNoSplitBrain(testStart);
  });

  it("`vigil resource move web n3 --wait` moves the VIP to n3, and `vigil resource clear web` returns it to n1", async () => {
    const r = await c.lab.cli.run(["resource", "move", c.group, "n3", "--wait"], 40_000);
    expect(r.code, r.stderr).toBe(0);
    // --wait returned once the log says started on n3: the client must already be answered there soon.
    await c.probe.waitForAnswerFrom("n3", 5_000, testStart);
    await c.probe.waitSettledOn("n3", SETTLE_MS, MOVE_MS);
    expect(await holders()).toEqual(["n3"]);
    expect((await statusShowsWebOn("n3")).groups.find((g) => g.id === c.group)).toMatchObject({ node: "n3", state: "started" });

    const clearAt = Date.now();
    const cl = await c.lab.cli.run(["resource", "clear", c.group, "--wait"], 40_000);
    expect(cl.code, cl.stderr).toBe(0);
    await c.probe.waitForAnswerFrom("n1", MOVE_MS, clearAt);
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
    expect(await holders()).toEqual(["n1"]);
    await expectNoSplitBrain(testStart);
  });

  it("a partition that isolates n1 leaves the VIP on the majority side only: n1 drops it before n2 takes it", async () => {
    const tail = c.lab.tail();
    const cutAt = Date.now();
    // n1 still reaches the client and NATS; only heartbeats and traffic between n1 and n2/n3 are cut.
    await c.lab.faults.partition(["n1"], ["n2", "n3"]);
    try {
      await c.probe.waitForAnswerFrom("n2", MOVE_MS, cutAt);
      await c.probe.waitSettledOn("n2", SETTLE_MS, MOVE_MS);
      // Held for a while: the minority side must not take it back (bounded: 10 checks).
      for (let i = 0; i < 10; i++) {
        expect(await holders()).toEqual(["n2"]);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The lease: n1's stop (it still reaches the log) is stamped before n2's start.
      const after = (e: LoggedEvent) => Date.parse(e.time) >= cutAt;
      const stopped = await tail.waitFor((e) => is("GroupStopped", { node: "n1" })(e) && after(e), 10_000, "n1's GroupStopped");
      const started = await tail.waitFor((e) => is("GroupStarted", { node: "n2" })(e) && after(e), 10_000, "n2's GroupStarted");
      expect(Date.parse(stopped.time)).toBeLessThanOrEqual(Date.parse(started.time));
      await expectNoSplitBrain(testStart);

      const s = await statusShowsWebOn("n2");
      expect(s.groups.find((g) => g.id === c.group)).toMatchObject({ node: "n2", state: "started" });
      // The majority side is what the cluster is: n2 and n3 online, whatever the cut-off n1 reports.
      const states = Object.fromEntries(s.nodes.map((n) => [n.name, n.state]));
      expect(states, "vigil status --json during the partition").toMatchObject({ n2: "online", n3: "online" });
    } finally {
      const healAt = Date.now();
      for (const n of c.lab.nodes) await c.lab.faults.heal(n);
      await c.probe.waitForAnswerFrom("n1", MOVE_MS, healAt).catch(() => {});
    }
    await c.probe.waitSettledOn("n1", SETTLE_MS, MOVE_MS);
    expect(await holders()).toEqual(["n1"]);
    await expectNoSplitBrain(testStart);
  });

  it("the vigil commands refuse an unknown node or group with a non-zero exit and the reason", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["node", "standby", "n9"], /no node "n9" in this cluster/],
      [["node", "online", "n9"], /no node "n9" in this cluster/],
      [["resource", "move", c.group, "n9"], /no node "n9" in this cluster/],
      [["resource", "move", "nosuch", "n2"], /unknown group "nosuch"/],
      [["resource", "clear", "nosuch"], /unknown group "nosuch"/],
      [["resource", "cleanup", "nosuch"], /unknown group "nosuch"/],
    ];
    for (const [args, reason] of cases) {
      const r = await c.lab.cli.run(args);
      expect(r.code, `vigil ${args.join(" ")}`).not.toBe(0);
      expect(r.stderr, `vigil ${args.join(" ")}`).toMatch(reason);
    }
    // Refused commands changed nothing.
    expect(await holders()).toEqual(["n1"]);
  });

  it("over all of the above, the ARP watch saw each node's MAC own the VIP in turn, and never two at once", async () => {
    const macs = new Map(await Promise.all(c.lab.nodes.map(async (n) => [await c.mac(n), n] as const)));
    const owners = c.watch!.owners();
    expect(owners.every((m) => macs.has(m)), `unknown MACs: ${owners.join(", ")}`).toBe(true);
    expect(new Set(owners.map((m) => macs.get(m)))).toEqual(new Set(["n1", "n2", "n3"]));
    expect(c.watch!.duplicates()).toEqual([]);
  });
});
