// The storage side of the heartbeat+DRBD+NFS lab: a real loop device with ext4, the named stand-ins for
// what this kernel lacks (drbdadm: no DRBD; service: no nfsd), and per-node shims for the two commands
// whose state is machine-wide while the lab's nodes share one machine (exportfs's table, killall's view
// of every process). Each reader here returns what a node really has: its agent's mounts, DRBD roles,
// its own export table, its NFS service state.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./repo-root.js";
import { must, run } from "./sh.js";

/** A loop device over an image file, formatted ext4 by the test. */
export interface LoopDisk {
  device: string;
  image: string;
  /** Detaches the device (once no mount holds it, the kernel frees it; autoclear covers a straggler). */
  detach(): Promise<void>;
}

export async function createLoopExt4(dir: string, sizeMb = 16): Promise<LoopDisk> {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, "disk.img");
  await must(["truncate", "-s", `${sizeMb}M`, image]);
  const device = (await must(["losetup", "--find", "--show", image])).trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new Error(`lab: losetup gave no loop device: "${device}"`);
  let detached = false;
  const detach = async () => {
    if (detached) return;
    const r = await run(["losetup", "-d", device]);
    if (r.code !== 0 && !/No such device|not (a )?loop/i.test(r.stderr)) {
      throw new Error(`lab: losetup -d ${device}: ${r.stderr.trim()}`);
    }
    detached = true;
  };
  try {
    await must(["mkfs.ext4", "-q", "-F", "-L", "vigil-lab", device], 30_000);
  } catch (e) {
    await detach().catch(() => {});
    throw e;
  }
  return { device, image, detach };
}

/** Where one run keeps its stand-ins' state and the nodes' shims. */
export interface StorageLab {
  drbdDir: string;
  serviceDir: string;
  /** Environment for `node`'s agent: shims and stand-ins first on PATH, stand-in state and node name. */
  agentEnv(node: string): Record<string, string>;
  /** DRBD stand-in roles of `res`, by node (absent: never configured there, i.e. Secondary). */
  drbdRoles(res: string): Record<string, string>;
  /** Cuts or heals `res`'s replication link (the stand-in then lets a disconnected Secondary be
   *  promoted beside a Primary, as DRBD without resource fencing does). */
  drbdLink(res: string, up: boolean): void;
  /** `node`'s host is gone: its DRBD with it (its role reads Unconfigured). */
  drbdHostGone(res: string, node: string): void;
  /** Directories `node` exports, from its own export table (the etab `exportfs` keeps). */
  exportsOf(node: string): string[];
  /** Whether the `service` stand-in has `name` running on `node`. */
  serviceRunning(node: string, name: string): boolean;
  /** Calls `node` made to the service stand-in and the killall shim, in order. */
  calls(node: string): string[];
}

export function createStorageLab(dir: string, nodes: readonly string[]): StorageLab {
  const drbdDir = join(dir, "drbd-standin");
  const serviceDir = join(dir, "service-standin");
  mkdirSync(drbdDir, { recursive: true });
  mkdirSync(serviceDir, { recursive: true });
  const shimDir = (node: string) => join(dir, `shims-${node}`);
  const nfsStateDir = (node: string) => join(dir, `nfs-state-${node}`);
  for (const node of nodes) writeNodeShims(shimDir(node), nfsStateDir(node), join(serviceDir, node, "calls"));

  return {
    drbdDir,
    serviceDir,
    agentEnv: (node) => ({
      PATH: [shimDir(node), join(repoRoot(), "test", "stand-ins"), process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":"),
      DRBD_STANDIN_DIR: drbdDir,
      DRBD_STANDIN_NODE: node,
      SERVICE_STANDIN_DIR: serviceDir,
      SERVICE_STANDIN_NODE: node,
    }),
    drbdRoles: (res) => {
      const d = join(drbdDir, res);
      if (!existsSync(d)) return {};
      const roles: Record<string, string> = {};
      for (const f of readdirSync(d)) {
        if (f.startsWith(".") || f === "fail-next-primary" || f === "disconnected") continue;
        roles[f] = readFileSync(join(d, f), "utf8").trim();
      }
      return roles;
    },
    drbdLink: (res, up) => {
      mkdirSync(join(drbdDir, res), { recursive: true });
      const flag = join(drbdDir, res, "disconnected");
      if (up) rmSync(flag, { force: true });
      else writeFileSync(flag, "");
    },
    drbdHostGone: (res, node) => {
      mkdirSync(join(drbdDir, res), { recursive: true });
      writeFileSync(join(drbdDir, res, node), "Unconfigured\n");
    },
    exportsOf: (node) => {
      const etab = join(nfsStateDir(node), "etab");
      if (!existsSync(etab)) return [];
      // etab: one `DIR<TAB>CLIENT(OPTIONS)` line per export.
      return readFileSync(etab, "utf8")
        .split("\n")
        .map((l) => l.split("\t")[0] ?? "")
        .filter((d) => d.startsWith("/"));
    },
    serviceRunning: (node, name) => existsSync(join(serviceDir, node, name)),
    calls: (node) => {
      const f = join(serviceDir, node, "calls");
      return existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean) : [];
    },
  };
}

/**
 * Two shims per node, on PATH before everything else:
 * - `exportfs` runs the REAL exportfs, with this node's own /var/lib/nfs (a private bind mount in a
 *   throwaway mount namespace), because exportfs keeps its table in that one machine-wide directory
 *   and every lab node shares the machine's filesystem.
 * - `killall` records the call and kills nothing: the lab's nodes share the machine's PID namespace,
 *   so killnfsd's real `killall -9 nfsd` could reach another test's processes. There is no nfsd here;
 *   it answers as killall does when nothing matched (exit 1), which killnfsd accepts.
 */
function writeNodeShims(dir: string, nfsState: string, callsFile: string): void {
  mkdirSync(dir, { recursive: true });
  mkdirSync(nfsState, { recursive: true });
  for (const f of ["etab", "rmtab"]) writeFileSync(join(nfsState, f), "", { flag: "a" });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeExecutable(
    join(dir, "exportfs"),
    [
      "#!/bin/sh",
      "# lab shim: the real exportfs with this node's own /var/lib/nfs (see storage-fixture.ts)",
      `exec unshare --mount --propagation private sh -c 'mount --bind "$0" /var/lib/nfs && exec /usr/sbin/exportfs "$@"' ${q(nfsState)} "$@"`,
      "",
    ].join("\n"),
  );
  writeExecutable(
    join(dir, "killall"),
    [
      "#!/bin/sh",
      "# lab shim: records the call, kills nothing (shared PID namespace; see storage-fixture.ts)",
      `mkdir -p "$(dirname ${q(callsFile)})" && echo "killall $*" >>${q(callsFile)}`,
      'for a in "$@"; do case "$a" in -*) ;; *) echo "$a: no process found" >&2 ;; esac; done',
      "exit 1",
      "",
    ].join("\n"),
  );
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** Mount points in a process's mount namespace (`/proc/PID/mounts`, octal escapes decoded). */
export function mountPointsOf(pid: number): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/mounts`, "utf8");
  } catch {
    return []; // the process has exited: its namespace holds nothing any more
  }
  return text
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter(Boolean)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Runs argv inside `pid`'s mount namespace (to read or write the filesystem as that node sees it). */
export function inMountNsOf(pid: number, argv: readonly string[]): string[] {
  return ["nsenter", "-t", String(pid), "-m", ...argv];
}
