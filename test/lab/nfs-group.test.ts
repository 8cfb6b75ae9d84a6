// Issue 4's lab test of heartbeat's classic NFS line, run by real Vigil agents in lab namespaces:
//   n1 IPaddr::VIP/24/eth0 drbddisk::r0 Filesystem::/dev/loopN::DATA::ext4 exportfs::NET::DATA::rw,fsid=1 killnfsd
// Real: the address, a loop device with ext4 mounted in the agent's own mount namespace (each `ip netns
// exec` gets one), exportfs with each node's own export table. Stand-ins, named as such, for what this
// kernel lacks: drbdadm (no DRBD) and `service` (no nfsd). The truth of "where is it" is read from each
// node, never from the log: /proc/<agent pid>/mounts, the DRBD stand-in's roles, the node's etab.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { LAB_SUBNET } from "./netns.js";
import { must, pollUntil } from "./sh.js";
import { createNfsGroup, NFS_SERVICE, watchStorage, type NfsGroup, type Where } from "./nfs-fixture.js";
import { inMountNsOf, type LoopDisk } from "./storage-fixture.js";

// Three nodes, not heartbeat's usual two: in a two-node lab the isolated node keeps quorum through its
// NATS witness until its NATS client notices the lost link (seconds, not warntime), see the report of
// issue 4. With three, the isolated n1 is a minority at warntime, as the lease rule wants.
const NODES = ["n1", "n2", "n3"] as const;
const GROUP = "nfs";
const VIP = `${LAB_SUBNET}.60`;
/** Start-up of agents and NATS on a shared two-core box is the slow part. */
const STARTUP_MS = 30_000;
/** drbddisk retries a refused `primary` a second apart (heartbeat's rule), so a takeover may wait on n1's stop. */
const MOVE_MS = 25_000;

let lab: Lab | undefined;
let disk: LoopDisk | undefined;

afterEach(async (ctx) => {
  const l = lab;
  // Printed here, before the lab (and its agents' logs) is gone.
  if (l && ctx.task.result?.state === "fail") console.error(`\n===== lab diagnostics =====\n${l.diagnostics()}\n`);
  const d = disk;
  lab = undefined;
  disk = undefined;
  try {
    await l?.destroy(); // agents first: their mount namespaces (and the ext4 mount) go with them
  } finally {
    await d?.detach();
  }
});

const allOn = (node: string | undefined): Where => {
  const on = node ? [node] : [];
  return { mounted: on, primary: on, exported: on, nfsRunning: on };
};

async function holdsVip(l: Lab, node: string): Promise<boolean> {
  const out = await must(["ip", "-j", "-n", l.host(node).ns, "addr", "show", "dev", "eth0"]);
  const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
  return links.some((x) => (x.addr_info ?? []).some((a) => a.family === "inet" && a.local === VIP));
}

/** Polls the nodes until the whole group is where it should be (bounded). */
async function settle(g: NfsGroup, node: string | undefined, timeoutMs: number): Promise<Where> {
  const want = JSON.stringify(allOn(node));
  const check = async () => {
    const w = g.where();
    return JSON.stringify(w) === want ? w : undefined;
  };
  return pollUntil(`the group's parts all on ${node ?? "no node"}`, check, { timeoutMs, intervalMs: 50 }).catch((e: Error) => {
    throw new Error(`${e.message}; now: ${JSON.stringify(g.where())}`);
  });
}

/** The group's resource events of one type from one node, in log order. */
const resourceEvents = (tail: EventTail, type: string, node: string, since = 0): string[] =>
  tail
    .events()
    .filter((e: LoggedEvent) => is(type, { node })(e) && e.group === GROUP && e.seq >= since)
    .map((e) => String(e.resource));

describe("heartbeat's DRBD+NFS group under Vigil: in order, never in two places", () => {
  it(
    "starts on n1 left to right, moves to a peer when n1's link goes down (n1 stops right to left), and returns to n1 with auto_failback",
    { timeout: 90_000 },
    async () => {
      const l = await createLab({ nodes: [...NODES], natsServers: 1, client: true });
      lab = l;
      const g = await createNfsGroup(l, NODES, VIP);
      disk = g.disk;
      const { storage, data, resources } = g;
      l.writeConfigs({ haresources: `n1 group=${GROUP} ${resources.join(" ")}\n`, extra: ["auto_failback on"] });
      for (const n of NODES) l.agents.start(n, { env: storage.agentEnv(n) });
      const tail = l.tail();

      // --- on n1, left to right
      await tail.waitFor(is("GroupStarted", { node: "n1" }), STARTUP_MS, "the group started on n1");
      expect(resourceEvents(tail, "ResourceStarted", "n1")).toEqual(resources);
      expect(g.where()).toEqual(allOn("n1"));
      expect(await holdsVip(l, "n1")).toBe(true);
      const n1Pid = l.agents.pid("n1");
      // A file written through n1's mount must be on the disk the peer mounts after the failover.
      const marker = `written on n1 by run ${l.prefix}`;
      await must(inMountNsOf(n1Pid, ["sh", "-c", `printf '%s' "$1" > "$2/marker"`, "sh", marker, data]));

      // --- n1's link down: n1 loses quorum and stops right to left, a peer takes over left to right
      const watch = watchStorage(g);
      let peerThatTookOver = "";
      try {
        const cut = tail.events().at(-1)!.seq + 1;
        await l.faults.linkDown("n1");
        const atPeer = await tail.waitFor((e) => is("GroupStarted")(e) && e.seq >= cut, MOVE_MS, "the group started elsewhere");
        const peer = atPeer.node;
        expect(peer).not.toBe("n1");
        expect(resourceEvents(tail, "ResourceStarted", peer, cut)).toEqual(resources);
        // The isolated n1 cannot reach the log; the truth is on the node itself.
        await settle(g, peer, 5_000);
        for (const n of NODES) expect(await holdsVip(l, n), `VIP on ${n}`).toBe(n === peer);
        const read = await must(inMountNsOf(l.agents.pid(peer), ["cat", join(data, "marker")]));
        expect(read).toBe(marker);

        // --- n1 back: auto_failback on returns the group to n1, in order
        const back = atPeer.seq + 1;
        await l.faults.linkUp("n1");
        await tail.waitFor((e) => is("GroupStarted", { node: "n1" })(e) && e.seq > back, MOVE_MS, "the group back on n1");
        await settle(g, "n1", 5_000);
        expect(resourceEvents(tail, "ResourceStarted", "n1", back)).toEqual(resources);
        expect(resourceEvents(tail, "ResourceStopped", peer)).toEqual([...resources].reverse());
        // n1's stop while isolated sat in its outbox; it reaches the log once n1 is back.
        await tail.waitFor((e) => is("ResourceStopped", { node: "n1" })(e) && e.resource === resources[0], 10_000, "n1's own stop record");
        expect(resourceEvents(tail, "ResourceStopped", "n1")).toEqual([...resources].reverse());
        for (const n of NODES) expect(await holdsVip(l, n), `VIP on ${n}`).toBe(n === "n1");
        peerThatTookOver = peer;
      } finally {
        await watch.stop();
      }
      expect(watch.violations).toEqual([]);
      // The watch really watched: it saw the mount on each node in turn.
      expect([...watch.seen].filter((x) => x.startsWith("mounted:")).sort()).toEqual(["mounted:n1", `mounted:${peerThatTookOver}`]);
      expect(watch.samples()).toBeGreaterThan(20);

      // killnfsd: service start on start; on stop the service stop and then the nfsd kill, as heartbeat's script.
      expect(storage.calls(peerThatTookOver).filter((c) => !c.endsWith(" status"))).toEqual([
        `${NFS_SERVICE} start`,
        `${NFS_SERVICE} stop`,
        "killall -9 nfsd",
      ]);
      expect(await must(inMountNsOf(l.agents.pid("n1"), ["cat", join(data, "marker")]))).toBe(marker);
    },
  );
});
