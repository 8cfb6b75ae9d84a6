// heartbeat's classic DRBD+NFS group for lab tests, and where its parts are, read from the nodes
// themselves (never from the log): each agent's mounts (/proc/<pid>/mounts), the DRBD stand-in's
// roles, each node's export table, its NFS service stand-in. See storage-fixture.ts for the parts.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { createLoopExt4, createStorageLab, mountPointsOf, type LoopDisk, type StorageLab } from "./storage-fixture.js";

export const NFS_SERVICE = "nfs-kernel-server";
export const DRBD_RES = "r0";

export interface Where {
  mounted: string[];
  primary: string[];
  exported: string[];
  nfsRunning: string[];
}

export interface NfsGroup {
  disk: LoopDisk;
  storage: StorageLab;
  /** The mount point (one directory; each agent mounts it in its own mount namespace). */
  data: string;
  /** The group's resources, left to right, as haresources lists them. */
  resources: string[];
  where(): Where;
}

/** The loop disk, the stand-ins' state and the resource list of `VIP`'s NFS group, in the lab's dir. */
export async function createNfsGroup(l: Lab, nodes: readonly string[], vip: string): Promise<NfsGroup> {
  const disk = await createLoopExt4(join(l.dir, "disk"));
  const storage = createStorageLab(join(l.dir, "storage"), nodes);
  const data = join(l.dir, "data");
  mkdirSync(data);
  const resources = [
    `IPaddr::${vip}/${LAB_PREFIXLEN}/eth0`,
    `drbddisk::${DRBD_RES}`,
    `Filesystem::${disk.device}::${data}::ext4`,
    `exportfs::${LAB_SUBNET}.0/24::${data}::rw,fsid=1`,
    "killnfsd",
  ];
  const where = (): Where => {
    const roles = storage.drbdRoles(DRBD_RES);
    return {
      mounted: nodes.filter((n) => mountPointsOf(agentPid(l, n)).includes(data)),
      primary: nodes.filter((n) => roles[n] === "Primary"),
      exported: nodes.filter((n) => storage.exportsOf(n).includes(data)),
      nfsRunning: nodes.filter((n) => storage.serviceRunning(n, NFS_SERVICE)),
    };
  };
  return { disk, storage, data, resources, where };
}

/** The agent's pid, or 0 (no process: no mounts) for one never started. */
function agentPid(l: Lab, node: string): number {
  try {
    return l.agents.pid(node);
  } catch {
    return 0;
  }
}

export interface SafetyWatch {
  /** Each sample with two mounts or two DRBD Primaries, timestamped. */
  violations: string[];
  /** `mounted:NODE` and `primary:NODE` for every node seen so. */
  seen: Set<string>;
  samples(): number;
  stop(): Promise<void>;
}

/**
 * Samples the nodes every ~10 ms until stopped, recording any moment when the filesystem is mounted on
 * two nodes or DRBD has two Primaries. Bounded in samples and time.
 */
export function watchStorage(g: Pick<NfsGroup, "where">, maxMs = 120_000): SafetyWatch {
  const violations: string[] = [];
  const seen = new Set<string>();
  let samples = 0;
  let running = true;
  const done = (async () => {
    const until = Date.now() + maxMs;
    for (let i = 0; i < 20_000 && running && Date.now() < until; i++) {
      const w = g.where();
      samples++;
      for (const n of w.mounted) seen.add(`mounted:${n}`);
      for (const n of w.primary) seen.add(`primary:${n}`);
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
