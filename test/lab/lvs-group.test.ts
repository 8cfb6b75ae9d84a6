// Issue 4's lab test of an LVS director failing over with its group, run by real Vigil agents:
//   n1 group=director IPaddr::VIP/24/eth0 lvs::<dir>/web.conf
// Two real-server hosts on the lab bridge answer with their name and the address that reached them;
// the client fetches VIP:80 through whichever node holds the group. The nftables backend is real
// (this kernel has no IPVS); the lab subnet is flat, so the service uses Vigil's `masquerade`.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { is } from "./event-tail.js";
import { createLab, nodeAddr, type Lab } from "./lab.js";
import { tearDownLabAfterEach } from "./lab-teardown.js";
import { addRealServers, enableForwarding, fetchFromClient, firstAnswer, nftTablesOn, writeLvsService, type Answer } from "./lvs-fixture.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { pollUntil } from "./sh.js";

// Three nodes so that the isolated n1 is a minority at warntime (see nfs-group.test.ts on two nodes).
const NODES = ["n1", "n2", "n3"] as const;
const VIP = `${LAB_SUBNET}.70`;
const PORT = 80;
const URL = `http://${VIP}:${PORT}/`;
/** The lvs agent names its nftables table after the service file (`vigil_lvs_<NAME>`). */
const TABLE = "table ip vigil_lvs_web";
const STARTUP_MS = 30_000;
const MOVE_MS = 20_000;
const REQUESTS = 8;

const keepLab = tearDownLabAfterEach();

const tally = (answers: readonly Answer[]) =>
  answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.server]: (acc[a.server] ?? 0) + 1 }), {});

/** rr over two live servers and one client making sequential connections: an even split. */
function expectRoundRobin(answers: readonly Answer[], servers: readonly string[]): void {
  const counts = tally(answers);
  expect(Object.keys(counts).sort(), JSON.stringify(answers)).toEqual([...servers].sort());
  const n = servers.map((s) => counts[s] ?? 0);
  expect(Math.max(...n) - Math.min(...n), JSON.stringify(counts)).toBeLessThanOrEqual(1);
}

describe("an LVS director fails over with its group", () => {
  it(
    "the client is spread over both real servers through n1's director, and through a peer's after n1's link goes down; n1's table is gone",
    { timeout: 90_000 },
    async () => {
      const l = await createLab({ nodes: [...NODES], natsServers: 1, client: true });
      keepLab(l);
      const reals = await addRealServers(l, ["ra", "rb"]);
      for (const n of NODES) await enableForwarding(l, n);
      const service = writeLvsService(join(l.dir, "lvs", "web.conf"), VIP, PORT, reals);
      l.writeConfigs({
        haresources: `n1 group=director IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0 lvs::${service}\n`,
        extra: ["auto_failback on"],
      });
      for (const n of NODES) l.agents.start(n);
      const tail = l.tail();

      await tail.waitFor(is("GroupStarted", { node: "n1" }), STARTUP_MS, "the director group started on n1");
      expect(await nftTablesOn(l, "n1")).toContain(TABLE);
      await firstAnswer(l, URL, 5_000);
      const before = await fetchFromClient(l, URL, REQUESTS);
      expectRoundRobin(before, ["ra", "rb"]);
      // masquerade: every request reached the real servers from n1, the director.
      expect(new Set(before.map((a) => a.from))).toEqual(new Set([nodeAddr(0)]));

      const cut = tail.events().at(-1)!.seq + 1;
      await l.faults.linkDown("n1");
      const moved = await tail.waitFor((e) => is("GroupStarted")(e) && e.seq >= cut, MOVE_MS, "the director group started elsewhere");
      expect(moved.node).not.toBe("n1");
      const peer = NODES.indexOf(moved.node as (typeof NODES)[number]);
      // The client's ARP entry may still name n1 for a moment; the gratuitous ARP fixes it.
      await firstAnswer(l, URL, 5_000);
      const after = await fetchFromClient(l, URL, REQUESTS);
      expectRoundRobin(after, ["ra", "rb"]);
      expect(new Set(after.map((a) => a.from))).toEqual(new Set([nodeAddr(peer)]));
      expect(await nftTablesOn(l, moved.node)).toContain(TABLE);

      // The isolated n1 lost quorum and stopped its group: its table goes (read in its namespace).
      await pollUntil("n1's lvs table removed", async () => ((await nftTablesOn(l, "n1")).includes(TABLE) ? undefined : true), {
        timeoutMs: 5_000,
        intervalMs: 100,
      });
      for (const n of NODES.filter((x) => x !== moved.node)) expect(await nftTablesOn(l, n), n).not.toContain(TABLE);
    },
  );
});
