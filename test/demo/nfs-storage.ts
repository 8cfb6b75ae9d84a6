// The disk behind the demo's NFS-style group: an ext4 filesystem on a loop device (real), "replicated"
// by the drbdadm STAND-IN (test/stand-ins/drbdadm: this kernel has no DRBD; it keeps roles in files
// and refuses a second Primary). No `exportfs` resource: its table (/var/lib/nfs/etab) is one per
// host, not per namespace, so in the lab every node would see the active node's export as its own
// (a starting node's probe then finds the group partly running there). Each agent runs in its node's own mount namespace
// (`ip netns exec` gives it one), so a mount is visible only in that node's /proc/PID/mounts.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../lab/repo-root.js";
import { must, run } from "../lab/sh.js";

export interface NfsStorage {
  /** The loop device holding the ext4 filesystem, e.g. /dev/loop3. */
  device: string;
  /** Mount point (the same path on every node; each node mounts it in its own namespace). */
  dataDir: string;
  /** Where the drbdadm stand-in keeps each node's role. */
  drbdDir: string;
  /** The group's resources after the preferred node, as a haresources line takes them. */
  resources(vip: string): string[];
  /** Environment for node's agent: the stand-in first on PATH, and who it is. */
  agentEnv(node: string): Record<string, string>;
  /** Nodes whose agent (by pid) has the filesystem mounted in its mount namespace now. */
  mountedOn(agentPids: ReadonlyMap<string, number>): string[];
  /** Nodes the stand-in records as DRBD Primary for r0. */
  primaries(): string[];
  /** Detaches the loop device; safe to call twice. */
  release(): Promise<string[]>;
}

export const DRBD_RESOURCE = "r0";

/** Makes a 64 MiB image in `dir`, attaches it to a free loop device and puts ext4 on it. */
export async function prepareNfsStorage(dir: string): Promise<NfsStorage> {
  const image = join(dir, "nfs-disk.img");
  const dataDir = join(dir, "data");
  const drbdDir = join(dir, "drbd");
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(join(drbdDir, DRBD_RESOURCE), { recursive: true });
  writeFileSync(image, "");
  truncateSync(image, 64 * 1024 * 1024);
  const device = (await must(["losetup", "--find", "--show", image])).trim();
  // A hard exit (second Ctrl-C) skips `release`; this runs after the lab's own exit sweep killed the agents.
  const onExit = () => releaseSync(device);
  process.once("exit", onExit);
  let released = false;
  try {
    await must(["mkfs.ext4", "-q", "-F", "-L", "vigil-demo", device], 30_000);
  } catch (e) {
    releaseSync(device);
    process.removeListener("exit", onExit);
    throw e;
  }
  const standIns = join(repoRoot(), "test", "stand-ins");
  return {
    device,
    dataDir,
    drbdDir,
    resources: (vip) => [`IPaddr::${vip}`, `drbddisk::${DRBD_RESOURCE}`, `Filesystem::${device}::${dataDir}::ext4`],
    agentEnv: (node) => ({
      PATH: `${standIns}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
      DRBD_STANDIN_DIR: drbdDir,
      DRBD_STANDIN_NODE: node,
    }),
    mountedOn: (pids) => [...pids].filter(([, pid]) => mountsOf(pid).includes(dataDir)).map(([n]) => n),
    primaries: () => {
      const d = join(drbdDir, DRBD_RESOURCE);
      return readdirSync(d).filter((f) => !f.startsWith(".") && f !== "fail-next-primary" && readRole(join(d, f)) === "Primary");
    },
    release: async () => {
      if (released) return [];
      released = true;
      process.removeListener("exit", onExit);
      const problems: string[] = [];
      // The agents' mount namespaces are gone once they exit; until the kernel lets go, detach fails
      // with EBUSY: bounded retries.
      let detached = false;
      for (let i = 0; i < 30 && !detached; i++) {
        detached = (await run(["losetup", "-d", device])).code === 0 || !(await attached(device));
        if (!detached) await new Promise((r) => setTimeout(r, 100));
      }
      if (!detached) problems.push(`loop device ${device} still attached`);
      return problems;
    },
  };
}

function mountsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/mounts`, "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1] ?? "");
  } catch {
    return [];
  }
}

function readRole(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return "";
  }
}

async function attached(device: string): Promise<boolean> {
  return (await run(["losetup", device])).code === 0;
}

function releaseSync(device: string): void {
  try {
    execFileSync("losetup", ["-d", device], { stdio: "ignore", timeout: 5_000 });
  } catch {
    /* already gone, or still busy: autoclear frees it when the last user goes */
  }
}
