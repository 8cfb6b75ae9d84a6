// Issue 4's lab test of heartbeat's classic NFS line, run by real Vigil agents in lab namespaces:
//   n1 IPaddr::VIP/24/eth0 drbddisk::r0 Filesystem::/dev/loopN::DATA::ext4 exportfs::NET::DATA::rw,fsid=1 killnfsd
// Real: the address, a loop device with ext4 mounted in the agent's own mount namespace (each `ip netns
// exec` gets one), exportfs with each node's own export table. Stand-ins, named as such, for what this
// kernel lacks: drbdadm (no DRBD) and `service` (no nfsd). The truth of "where is it" is read from each
// node, never from the log: /proc/<agent pid>/mounts, the DRBD stand-in's roles, the node's etab.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { must, pollUntil } from "./sh.js";
import { createLoopExt4, createStorageLab, inMountNsOf, mountPointsOf, type LoopDisk, type StorageLab } from "./storage-fixture.js";

// Three nodes, not heartbeat's usual two: in a two-node lab the isolated node keeps quorum through its
// NATS witness until its NATS client notices the lost link (seconds, not warntime), see the report of
// issue 4. With three, the isolated n1 is a minority at warntime, as the lease rule wants.
const NODES = ["n1", "n2", "n3"] as const;
const GROUP = "nfs";
const VIP = `${LAB_SUBNET}.60`;
const NFS_SERVICE = "nfs-kernel-server";
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

interface Where {
  mounted: string[];
  primary: string[];
  exported: string[];
  nfsRunning: string[];
}

/** Where each part of the group is, read from the nodes themselves. */
function where(l: Lab, s: StorageLab, data: string): Where {
  const roles = s.drbdRoles("r0");
  return {
    mounted: NODES.filter((n) => mountPointsOf(l.agents.pid(n)).includes(data)),
    primary: NODES.filter((n) => roles[n] === "Primary"),
    exported: NODES.filter((n) => s.exportsOf(n).includes(data)),
    nfsRunning: NODES.filter((n) => s.serviceRunning(n, NFS_SERVICE)),
  };
}

const allOn = (node: string | undefined): Where => {
  const on = node ? [node] : [];
  return { mounted: on, primary: on, exported: on, nfsRunning: on };
};

async function holdsVip(l: Lab, node: string): Promise<boolean> {
  const out = await must(["ip", "-j", "-n", l.host(node).ns, "addr", "show", "dev", "eth0"]);
  const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
  return links.some((x) => (x.addr_info ?? []).some((a) => a.family === "inet" && a.local === VIP));
}

/**
 * Samples both nodes every few ms while a failover runs, recording any moment when the filesystem is
 * mounted on two nodes or DRBD has two Primaries. Bounded in samples and time.
 */
function watchSafety(l: Lab, s: StorageLab, data: string) {
  const violations: string[] = [];
  const seen = new Set<string>();
  let samples = 0;
  let running = true;
  const done = (async () => {
    const until = Date.now() + 120_000;
    for (let i = 0; i < 20_000 && running && Date.now() < until; i++) {
      const w = where(l, s, data);
      samples++;
      for (const n of w.mounted) seen.add(`mounted:${n}`);
      if (w.mounted.length > 1) violations.push(`${new Date().toISOString()} mounted on ${w.mounted.join(" and ")}`);
      if (w.primary.length > 1) violations.push(`${new Date().toISOString()} DRBD Primary on ${w.primary.join(" and ")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    violations,
    seen,
    samples: () => samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** Polls the nodes until the whole group is where it should be (bounded). */
async function settle(l: Lab, s: StorageLab, data: string, node: string | undefined, timeoutMs: number): Promise<Where> {
  const want = JSON.stringify(allOn(node));
  const check = async () => {
    const w = where(l, s, data);
    return JSON.stringify(w) === want ? w : undefined;
  };
  return pollUntil(`the group's parts all on ${node ?? "no node"}`, check, { timeoutMs, intervalMs: 50 }).catch((e: Error) => {
    throw new Error(`${e.message}; now: ${JSON.stringify(where(l, s, data))}`);
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
      disk = await createLoopExt4(join(l.dir, "disk"));
      const storage = createStorageLab(join(l.dir, "storage"), NODES);
      const data = join(l.dir, "data");
      mkdirSync(data);
      const resources = [
        `IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0`,
        "drbddisk::r0",
        `Filesystem::${disk.device}::${data}::ext4`,
        `exportfs::${LAB_SUBNET}.0/24::${data}::rw,fsid=1`,
        "killnfsd",
      ];
      l.writeConfigs({ haresources: `n1 group=${GROUP} ${resources.join(" ")}\n`, extra: ["auto_failback on"] });
      for (const n of NODES) l.agents.start(n, { env: storage.agentEnv(n) });
      const tail = l.tail();

      // --- on n1, left to right
      await tail.waitFor(is("GroupStarted", { node: "n1" }), STARTUP_MS, "the group started on n1");
      expect(resourceEvents(tail, "ResourceStarted", "n1")).toEqual(resources);
      expect(where(l, storage, data)).toEqual(allOn("n1"));
      expect(await holdsVip(l, "n1")).toBe(true);
      const n1Pid = l.agents.pid("n1");
      // A file written through n1's mount must be on the disk the peer mounts after the failover.
      const marker = `written on n1 by run ${l.prefix}`;
      await must(inMountNsOf(n1Pid, ["sh", "-c", `printf '%s' "$1" > "$2/marker"`, "sh", marker, data]));

      // --- n1's link down: n1 loses quorum and stops right to left, a peer takes over left to right
      const watch = watchSafety(l, storage, data);
      let peerThatTookOver = "";
      try {
        const cut = tail.events().at(-1)!.seq + 1;
        await l.faults.linkDown("n1");
        const atPeer = await tail.waitFor((e) => is("GroupStarted")(e) && e.seq >= cut, MOVE_MS, "the group started elsewhere");
        const peer = atPeer.node;
        expect(peer).not.toBe("n1");
        expect(resourceEvents(tail, "ResourceStarted", peer, cut)).toEqual(resources);
        // The isolated n1 cannot reach the log; the truth is on the node itself.
        await settle(l, storage, data, peer, 5_000);
        for (const n of NODES) expect(await holdsVip(l, n), `VIP on ${n}`).toBe(n === peer);
        const read = await must(inMountNsOf(l.agents.pid(peer), ["cat", join(data, "marker")]));
        expect(read).toBe(marker);

        // --- n1 back: auto_failback on returns the group to n1, in order
        const back = atPeer.seq + 1;
        await l.faults.linkUp("n1");
        await tail.waitFor((e) => is("GroupStarted", { node: "n1" })(e) && e.seq > back, MOVE_MS, "the group back on n1");
        await settle(l, storage, data, "n1", 5_000);
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
      expect([...watch.seen].sort()).toEqual(["mounted:n1", `mounted:${peerThatTookOver}`]);
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
