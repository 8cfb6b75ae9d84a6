// Filesystem on a real loop device with ext4, inside private mount namespaces ("nodes") held open by a
// `sleep` started with `unshare -m --propagation private`; every command runs via `nsenter -t PID -m`,
// so no mount reaches the host. Needs root, losetup, mkfs.ext4, unshare, nsenter, fuser.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFilesystem, type FilesystemOptions } from "./filesystem-agent.js";

const isRoot = process.getuid?.() === 0;
const haveTools = ["losetup", "mkfs.ext4", "unshare", "nsenter", "fuser"].every(
  (t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0,
);
const T = { timeoutMs: 30_000 };

function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Resolves once the child has entered a mount namespace other than ours (bounded). */
async function untilOwnMountNs(pid: number): Promise<void> {
  const ours = readlinkSync("/proc/self/ns/mnt");
  for (let i = 0; i < 1000; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/mnt`) !== ours) return;
    } catch {
      /* not yet exec'd */
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${pid} never entered its own mount namespace`);
}

function mountedIn(pid: number, dir: string): boolean {
  return readFileSync(`/proc/${pid}/mounts`, "utf8").split("\n").some((l) => l.split(" ")[1] === dir);
}

describe.skipIf(!isRoot || !haveTools)("Filesystem on a loop device in a private mount namespace", () => {
  let dir = "";
  let loop = "";
  let mnt = "";
  const children: ChildProcess[] = [];
  const holders: number[] = [];

  async function node(): Promise<{ pid: number; wrap: string[] }> {
    const holder = spawn("unshare", ["-m", "--propagation", "private", "sleep", "600"], { stdio: "ignore" });
    children.push(holder);
    await untilOwnMountNs(holder.pid!);
    holders.push(holder.pid!);
    return { pid: holder.pid!, wrap: ["nsenter", "-t", String(holder.pid), "-m"] };
  }

  const fsAgent = (o: FilesystemOptions, args = [loop, mnt, "ext4"]) =>
    createFilesystem({ id: `Filesystem::${args.join("::")}`, agent: "Filesystem", args }, { killWaitMs: 200, ...o });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `vigil-fs-${process.pid}-`));
    mnt = join(dir, "mnt");
    sh(["truncate", "-s", "32M", join(dir, "disk.img")]);
    loop = sh(["losetup", "-f", "--show", join(dir, "disk.img")]);
    sh(["mkfs.ext4", "-q", "-F", loop]);
  });

  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    holders.splice(0);
  });

  afterAll(async () => {
    // The namespaces die with their holders, which releases their mounts; then free the loop device.
    for (let i = 0; i < 50 && loop; i++) {
      const r = spawnSync("losetup", ["-d", loop], { encoding: "utf8" });
      if (r.status === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("mounts, monitors as readable and writable, and never leaks the mount to the host", async () => {
    const n1 = await node();
    const fs = fsAgent({ wrap: n1.wrap, checkLevel: 20 });
    expect(fs.validate().rc).toBe(0);
    expect((await fs.monitor(T)).rc).toBe(7);
    const started = await fs.start(T);
    expect(started).toMatchObject({ rc: 0 });
    expect(mountedIn(n1.pid, mnt)).toBe(true);
    expect(mountedIn(process.pid, mnt)).toBe(false);
    expect(await fs.monitor(T)).toMatchObject({ rc: 0, message: expect.stringContaining("readable") });
    // The deep check cleans up after itself.
    expect(sh(["nsenter", "-t", String(n1.pid), "-m", "ls", "-A", mnt])).not.toContain(".vigil-check");
    expect(await fs.start(T)).toMatchObject({ rc: 0, message: expect.stringContaining("already mounted") });
    expect((await fs.stop(T)).rc).toBe(0);
    expect(mountedIn(n1.pid, mnt)).toBe(false);
    expect((await fs.stop(T)).rc).toBe(0);
    expect((await fs.monitor(T)).rc).toBe(7);
  });

  it("kills a process whose cwd is on the mount, and escalates to KILL for one that ignores TERM", async () => {
    const n1 = await node();
    const fs = fsAgent({ wrap: n1.wrap });
    expect((await fs.start(T)).rc).toBe(0);
    const polite = spawn("nsenter", [...n1.wrap.slice(1), "sh", "-c", `cd '${mnt}' && exec sleep 600`], { stdio: "ignore" });
    const stubborn = spawn("nsenter", [...n1.wrap.slice(1), "sh", "-c", `cd '${mnt}' && trap '' TERM && while :; do sleep 1; done`], { stdio: "ignore" });
    children.push(polite, stubborn);
    const exited = (c: ChildProcess) => new Promise<string | null>((r) => c.once("exit", (_code, sig) => r(sig)));
    const politeExit = exited(polite);
    const stubbornExit = exited(stubborn);
    // Wait (bounded) until both really sit on the mount.
    for (let i = 0; i < 500; i++) {
      const on = [polite, stubborn].every((c) => {
        try {
          return readlinkSync(`/proc/${c.pid}/cwd`) === mnt;
        } catch {
          return false;
        }
      });
      if (on) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const stopped = await fs.stop(T);
    expect(stopped).toMatchObject({ rc: 0, message: expect.stringContaining("killed users") });
    expect(await politeExit).toBe("SIGTERM");
    expect(await stubbornExit).toBe("SIGKILL");
    expect(mountedIn(n1.pid, mnt)).toBe(false);
  });

  it("fails loudly, and stays mounted, when the mount is busy and killing users is disabled", async () => {
    const n1 = await node();
    const fs = fsAgent({ wrap: n1.wrap, killUsers: false });
    expect((await fs.start(T)).rc).toBe(0);
    const busy = spawn("nsenter", [...n1.wrap.slice(1), "sh", "-c", `cd '${mnt}' && exec sleep 600`], { stdio: "ignore" });
    children.push(busy);
    for (let i = 0; i < 500; i++) {
      try {
        if (readlinkSync(`/proc/${busy.pid}/cwd`) === mnt) break;
      } catch {
        /* not there yet */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const stopped = await fs.stop(T);
    expect(stopped.rc).toBe(1);
    expect(stopped.message).toMatch(/still mounted.*busy/i);
    expect(mountedIn(n1.pid, mnt)).toBe(true);
    expect((await fs.monitor(T)).rc).toBe(0);
    busy.kill("SIGKILL");
    await new Promise((r) => busy.once("exit", r));
    expect((await fs.stop(T)).rc).toBe(0);
  });

  it("never has the device mounted on two nodes across a failover", async () => {
    const [n1, n2] = [await node(), await node()];
    const on1 = fsAgent({ wrap: n1.wrap });
    const on2 = fsAgent({ wrap: n2.wrap });
    const holders = () => [mountedIn(n1.pid, mnt), mountedIn(n2.pid, mnt)].filter(Boolean).length;
    expect((await on1.start(T)).rc).toBe(0);
    expect(holders()).toBe(1);
    expect((await on2.monitor(T)).rc).toBe(7);
    expect((await on1.stop(T)).rc).toBe(0);
    expect(holders()).toBe(0);
    expect((await on2.start(T)).rc).toBe(0);
    expect([mountedIn(n1.pid, mnt), mountedIn(n2.pid, mnt)]).toEqual([false, true]);
    expect((await on2.stop(T)).rc).toBe(0);
  });

  it("reports a missing device as not installed, naming it, and mounts nothing", async () => {
    const n1 = await node();
    const missing = join(dir, "no-such-disk");
    const fs = fsAgent({ wrap: n1.wrap }, [missing, mnt, "ext4"]);
    const r = await fs.start(T);
    expect(r.rc).toBe(5);
    expect(r.message).toContain(missing);
    expect(mountedIn(n1.pid, mnt)).toBe(false);
  });

  it("rejects bad arguments before running anything", async () => {
    const fs = fsAgent({ wrap: ["false"] }, [loop, "relative/dir", "ext4"]);
    expect(fs.validate()).toMatchObject({ rc: 2, message: expect.stringContaining("directory") });
    expect(await fs.start(T)).toMatchObject({ rc: 2 });
    expect(await fs.stop(T)).toMatchObject({ rc: 2 });
  });
});
