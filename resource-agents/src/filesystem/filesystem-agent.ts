// The Filesystem agent: fsck where the type needs it, mount, monitor, unmount (killing users first).
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import { OCF, type ActionOptions, type ActionResult, type Resource } from "../agent-interface.js";
import { ActionRunner, commandFailure, describeFailure, type CommandEnvOptions } from "./action-runner.js";
import { FILESYSTEM_META, deviceSpec, needsFsck, parseFilesystemArgs, readOnly, type FilesystemConfig, type RunFsck } from "./filesystem-args.js";
import { readMounts, unmountDir, type UnmountPolicy } from "./force-unmount.js";
import { mountAt, mountsBelow, normalizeDir, sameDevice, type MountEntry } from "./mount-table.js";

export interface FilesystemOptions extends CommandEnvOptions {
  /** heartbeat's run_fsck: `auto` (ext2/3/4 only, default), `force` (any block device), `no`. */
  fsck?: RunFsck;
  /** OCF_CHECK_LEVEL for monitor: 0 mounted, 10 also readable (default), 20 also write+read+delete a file. */
  checkLevel?: 0 | 10 | 20;
  /** heartbeat's force_unmount: kill the processes keeping the mount busy (default true). */
  killUsers?: boolean;
  /** umount attempts on stop (default 6: two with TERM, then KILL). */
  unmountTries?: number;
  /** Pause after signalling users before the next umount (default 500 ms). */
  killWaitMs?: number;
}

/** The file the deep (level 20) monitor check writes, reads back and removes. */
export const CHECK_FILE = ".vigil-check";

export function createFilesystem(spec: ResourceSpec, opts: FilesystemOptions = {}): Resource {
  return new FilesystemResource(spec, opts);
}

class FilesystemResource implements Resource {
  readonly id: string;
  readonly meta = FILESYSTEM_META;
  private readonly parsed: ReturnType<typeof parseFilesystemArgs>;

  constructor(
    spec: ResourceSpec,
    private readonly opts: FilesystemOptions,
  ) {
    this.id = spec.id;
    this.parsed = parseFilesystemArgs(spec.args);
  }

  validate(): ActionResult {
    return this.parsed.ok ? { rc: OCF.SUCCESS, message: "arguments valid" } : this.parsed.result;
  }

  async start(action: ActionOptions): Promise<ActionResult> {
    const found = await this.locate(action);
    if (!found.ok) return found.result;
    const { fs, run, names, current } = found;
    if (current.rc === OCF.SUCCESS) return { rc: OCF.SUCCESS, message: `${fs.directory} already mounted` };
    if (current.rc !== OCF.NOT_RUNNING) return current;

    const device = deviceSpec(fs.device);
    if (device.startsWith("/")) {
      const exists = await run.run(["test", "-e", device]);
      if (exists.code !== 0) {
        if (exists.timedOut) return { rc: OCF.ERR_GENERIC, message: `Filesystem: start timed out checking ${device}` };
        // As OCF Filesystem: a missing device is "not installed" on this node.
        return { rc: OCF.ERR_INSTALLED, message: `Filesystem: device ("${fs.device}"): ${device} does not exist on this node` };
      }
    }
    if (needsFsck(fs.fstype, fs.device, this.opts.fsck ?? "auto")) {
      const fsck = ["fsck", "-p", "-t", fs.fstype, device];
      const r = await run.run(fsck);
      if (r.code === 127 && !r.timedOut) return commandFailure(fsck, r, "Filesystem: fsck");
      // fsck(8): 0 clean, 1 errors corrected; heartbeat treated 2 and above (reboot needed,
      // uncorrected errors, operational error) as a failed start.
      if (r.code < 0 || r.code >= 2) return { rc: OCF.ERR_GENERIC, message: `Filesystem: ${describeFailure(fsck, r)}` };
    }
    const mkdir = ["mkdir", "-p", fs.directory];
    const mk = await run.run(mkdir);
    if (mk.code !== 0) return commandFailure(mkdir, mk, "Filesystem: cannot create the mount point");
    const mount = ["mount", "-t", fs.fstype, ...(fs.options ? ["-o", fs.options] : []), device, fs.directory];
    const m = await run.run(mount);
    if (m.code !== 0) return commandFailure(mount, m, "Filesystem: mount failed");
    const after = await this.currentMount(run, fs, names);
    if (after.rc !== OCF.SUCCESS) return { rc: OCF.ERR_GENERIC, message: `Filesystem: mount returned 0 but ${after.message}` };
    return { rc: OCF.SUCCESS, message: `mounted ${fs.device} on ${fs.directory}` };
  }

  async stop(action: ActionOptions): Promise<ActionResult> {
    if (!this.parsed.ok) return this.parsed.result;
    const fs = this.parsed.value;
    const run = new ActionRunner(action, this.opts);
    const mounts = await readMounts(run);
    if (!mounts.ok) return { rc: OCF.ERR_GENERIC, message: `Filesystem: cannot read the mount table: ${mounts.reason}` };
    const top = mountAt(mounts.entries, fs.directory);
    if (!top) return { rc: OCF.SUCCESS, message: `${fs.directory} not mounted` };
    const policy: UnmountPolicy = {
      killUsers: this.opts.killUsers ?? true,
      tries: Math.max(1, this.opts.unmountTries ?? 6),
      termTries: 2,
      killWaitMs: this.opts.killWaitMs ?? 500,
    };
    // Mounts stacked below the directory keep it busy; take them down first, deepest first.
    const killed: number[] = [];
    for (const dir of [...mountsBelow(mounts.entries, fs.directory), fs.directory]) {
      const out = await unmountDir(run, dir, policy);
      if (!out.ok) return { rc: OCF.ERR_GENERIC, message: `Filesystem: stop failed: ${out.reason}` };
      killed.push(...out.killed);
    }
    const users = killed.length > 0 ? ` (killed users: ${killed.join(" ")})` : "";
    return { rc: OCF.SUCCESS, message: `unmounted ${fs.directory}${users}` };
  }

  async monitor(action: ActionOptions): Promise<ActionResult> {
    const found = await this.locate(action);
    if (!found.ok) return found.result;
    const { fs, run, current } = found;
    if (current.rc !== OCF.SUCCESS) return current;
    const level = this.opts.checkLevel ?? 10;
    if (level >= 10) {
      const ls = ["ls", "-A", "--", fs.directory];
      const r = await run.run(ls);
      if (r.code !== 0) return { rc: OCF.ERR_GENERIC, message: `Filesystem: ${fs.directory} mounted but not readable: ${describeFailure(ls, r)}` };
    }
    if (level >= 20 && !readOnly(fs.options)) {
      const token = `vigil-${process.pid}-${run.remainingMs()}`;
      const script = 'f="$1/$3"; printf %s "$2" > "$f" && got=$(cat "$f") && rm -f "$f" && [ "$got" = "$2" ]';
      const check = ["sh", "-c", script, "sh", fs.directory, token, CHECK_FILE];
      const r = await run.run(check);
      if (r.code !== 0) return { rc: OCF.ERR_GENERIC, message: `Filesystem: write check on ${fs.directory} failed: ${describeFailure(["write+read+delete", CHECK_FILE], r)}` };
    }
    return { rc: OCF.SUCCESS, message: `${fs.directory} mounted${level >= 10 ? " and readable" : ""}` };
  }

  /** rc 0 when our device is mounted at the directory, 7 when nothing is, 1 when something else is. */
  /** Start and monitor both begin here: the arguments, the device's names, and what is mounted now. */
  private async locate(action: ActionOptions): Promise<
    | { ok: false; result: ActionResult }
    | { ok: true; fs: FilesystemConfig; run: ActionRunner; names: string[]; current: ActionResult }
  > {
    if (!this.parsed.ok) return this.parsed;
    const fs = this.parsed.value;
    const run = new ActionRunner(action, this.opts);
    const names = await this.deviceNames(run, fs);
    if (!names.ok) return names;
    return { ok: true, fs, run, names: names.value, current: await this.currentMount(run, fs, names.value) };
  }

  private async currentMount(run: ActionRunner, fs: FilesystemConfig, names: readonly string[]): Promise<ActionResult> {
    const mounts = await readMounts(run);
    if (!mounts.ok) return { rc: OCF.ERR_GENERIC, message: `Filesystem: cannot read the mount table: ${mounts.reason}` };
    const entry: MountEntry | undefined = mountAt(mounts.entries, fs.directory);
    if (!entry) return { rc: OCF.NOT_RUNNING, message: `${fs.directory} not mounted` };
    if (names.length > 0 && !sameDevice(entry.device, names)) {
      return { rc: OCF.ERR_GENERIC, message: `Filesystem: ${fs.directory} has ${entry.device} mounted, not ${fs.device}` };
    }
    return { rc: OCF.SUCCESS, message: `${fs.directory} mounted` };
  }

  /** Every name the kernel may list the configured device under. Empty: compare by directory only
   *  (network and virtual filesystems, and names that cannot be resolved before the device exists). */
  private async deviceNames(run: ActionRunner, fs: FilesystemConfig): Promise<{ ok: true; value: string[] } | { ok: false; result: ActionResult }> {
    const device = deviceSpec(fs.device);
    const names = new Set<string>([device]);
    let path = device;
    if (/^(LABEL|UUID)=/.test(device)) {
      const r = await run.run(["findfs", device]);
      if (r.code !== 0) return { ok: true, value: [] };
      path = r.stdout.trim();
      names.add(path);
    }
    if (!path.startsWith("/") || path.startsWith("//")) return { ok: true, value: [] };
    // Symlinks (/dev/disk/by-uuid/…, /dev/drbd/by-res/…) are listed by their target; an image file
    // is listed as the loop device backed by it.
    const real = await run.run(["readlink", "-f", "--", path]);
    const target = real.code === 0 ? real.stdout.trim() : path;
    if (target) names.add(target);
    const isFile = await run.run(["test", "-f", target]);
    if (isFile.code === 0) {
      const loops = await run.run(["losetup", "-n", "-O", "NAME", "-j", target]);
      for (const l of loops.stdout.split("\n").map((s) => s.trim()).filter(Boolean)) names.add(l);
    }
    return { ok: true, value: [...names].map(normalizeDir) };
  }
}
