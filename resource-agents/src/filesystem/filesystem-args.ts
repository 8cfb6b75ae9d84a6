// heartbeat's `Filesystem::device::directory::fstype[::options]`, validated before anything runs.
import { z } from "zod";
import { OCF, type ActionResult, type AgentMetadata } from "../agent-interface.js";
import { parsePositionalArgs } from "../metadata.js";
import { normalizeDir } from "./mount-table.js";

export const FILESYSTEM_META: AgentMetadata = {
  name: "Filesystem",
  description:
    "A filesystem mounted on the node that runs the group: `Filesystem::device::directory::fstype[::options]`.\n" +
    "Checks it with fsck first where the type needs it, mounts it, monitors that it is mounted and readable,\n" +
    "and on stop unmounts it, killing the processes that keep it busy first (heartbeat's force_unmount).",
  parameters: [
    { name: "device", description: "Block device, image file, LABEL=/UUID= (or heartbeat's -L/-U), or host:/path", required: true },
    { name: "directory", description: "Mount point (created when missing)", required: true },
    { name: "fstype", description: "Filesystem type as mount -t takes it (ext4, xfs, nfs…)", required: true },
    { name: "options", description: "Mount options as mount -o takes them (comma separated)", required: false },
  ],
  // OCF Filesystem's advertised defaults.
  timeouts: { start: 60_000, stop: 60_000, monitor: 40_000 },
  monitorIntervalMs: 20_000,
};

// Types with no backing device: the "device" field is a free word (`tmpfs`, `none`).
const VIRTUAL_TYPES = new Set(["tmpfs", "ramfs", "proc", "sysfs", "devtmpfs", "overlay", "none"]);
const NETWORK_TYPES = new Set(["nfs", "nfs4", "cifs", "smbfs", "glusterfs", "ceph", "9p"]);
const NO_CONTROL = /^[^\x00-\x1f\x7f]+$/;

const FsArgs = z
  .object({
    device: z.string().min(1).regex(NO_CONTROL, "must not contain control characters"),
    directory: z
      .string()
      .regex(/^\//, "must be an absolute path")
      .regex(NO_CONTROL, "must not contain control characters")
      .refine((d) => !d.split("/").includes(".."), "must not contain '..'"),
    fstype: z.string().regex(/^[a-z0-9][a-z0-9._+-]*$/, "must be a filesystem type such as ext4 or xfs"),
    options: z.string().regex(/^\S+$/, "must be comma-separated mount options without spaces").optional(),
  })
  .superRefine((a, ctx) => {
    if (VIRTUAL_TYPES.has(a.fstype)) return;
    const d = a.device;
    const byName = /^(LABEL|UUID|PARTLABEL|PARTUUID)=.+/.test(d) || /^-[LU].+/.test(d);
    const network = NETWORK_TYPES.has(a.fstype) || a.fstype.startsWith("fuse.");
    const ok = d.startsWith("/") || byName || (network && /^[^\s]+:.*|^\/\//.test(d));
    if (!ok) ctx.addIssue({ code: "custom", path: ["device"], message: "must be an absolute path, LABEL=/UUID= (or -L/-U), or host:/path for a network type" });
  });

export type RunFsck = "auto" | "force" | "no";

export interface FilesystemConfig {
  device: string;
  directory: string;
  fstype: string;
  options?: string;
}

export function parseFilesystemArgs(args: readonly string[]): { ok: true; value: FilesystemConfig } | { ok: false; result: ActionResult } {
  const p = parsePositionalArgs(FILESYSTEM_META, FsArgs, args);
  if (!p.ok) return p;
  const directory = normalizeDir(p.value.directory);
  // Managing / would mean unmounting the node's own root (OCF Filesystem refuses it too).
  if (directory === "/") {
    return { ok: false, result: { rc: OCF.ERR_CONFIGURED, message: `Filesystem: directory ("${p.value.directory}"): refusing to manage the root filesystem` } };
  }
  return { ok: true, value: { ...p.value, directory } };
}

/** heartbeat's `-Lname`/`-Uuuid` device forms, as mount(8) and fsck(8) spell them. */
export function deviceSpec(device: string): string {
  if (/^-L.+/.test(device)) return `LABEL=${device.slice(2)}`;
  if (/^-U.+/.test(device)) return `UUID=${device.slice(2)}`;
  return device;
}

/** Whether start should fsck first. heartbeat's Filesystem skipped fsck for journalled and network
 *  types (their fsck is a no-op or unsafe unattended); Vigil runs it, in preen mode, only where it is
 *  safe and cheap when clean: the ext family, whose `e2fsck -p` also replays the journal after a crash. */
export function needsFsck(fstype: string, device: string, mode: RunFsck): boolean {
  if (mode === "no") return false;
  if (VIRTUAL_TYPES.has(fstype) || NETWORK_TYPES.has(fstype) || fstype.startsWith("fuse.")) return false;
  if (!device.startsWith("/") && !/^(LABEL|UUID)=|^-[LU]/.test(device)) return false;
  if (mode === "force") return true;
  return fstype === "ext2" || fstype === "ext3" || fstype === "ext4";
}

/** Whether the options mount it read-only (then the deep monitor check must not write). */
export function readOnly(options: string | undefined): boolean {
  return (options ?? "").split(",").includes("ro");
}
