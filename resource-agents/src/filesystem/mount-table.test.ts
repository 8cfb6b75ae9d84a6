import { describe, expect, it } from "vitest";
import { parseFuserPids } from "./force-unmount.js";
import { deviceSpec, needsFsck, parseFilesystemArgs } from "./filesystem-args.js";
import { mountAt, mountsBelow, parseMounts } from "./mount-table.js";

// A real /proc/self/mounts excerpt (Debian 12), with a mount point containing a space and a stacked mount.
const MOUNTS = [
  "/dev/vda1 / ext4 rw,relatime,errors=remount-ro 0 0",
  "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
  "/dev/loop3 /srv/data ext4 rw,relatime 0 0",
  "tmpfs /srv/data/cache tmpfs rw,relatime,size=1024k 0 0",
  "/dev/loop4 /srv/data/cache/deep ext4 rw,relatime 0 0",
  "/dev/loop5 /mnt/my\\040disk ext4 ro,relatime 0 0",
  "/dev/loop6 /srv/data ext4 rw,relatime 0 0",
  "",
].join("\n");

describe("mount table", () => {
  it("unescapes octal escapes in mount points", () => {
    const e = parseMounts(MOUNTS);
    expect(mountAt(e, "/mnt/my disk")?.device).toBe("/dev/loop5");
    expect(mountAt(e, "/mnt/my disk")?.options).toContain("ro");
  });

  it("reports the last of stacked mounts on one directory, ignoring a trailing slash", () => {
    expect(mountAt(parseMounts(MOUNTS), "/srv/data/")?.device).toBe("/dev/loop6");
  });

  it("lists mounts below a directory deepest first, not the directory itself nor look-alike siblings", () => {
    const e = parseMounts(MOUNTS + "/dev/loop7 /srv/database ext4 rw 0 0\n");
    expect(mountsBelow(e, "/srv/data")).toEqual(["/srv/data/cache/deep", "/srv/data/cache"]);
  });

  it("finds no mount at a directory that is only a parent of mounts", () => {
    expect(mountAt(parseMounts(MOUNTS), "/srv")).toBeUndefined();
  });
});

describe("fuser output", () => {
  it("reads pids with access letters and drops duplicates", () => {
    expect(parseFuserPids("  4211c  4212  4212e 4300rce\n")).toEqual([4211, 4212, 4300]);
    expect(parseFuserPids("")).toEqual([]);
  });
});

describe("Filesystem arguments", () => {
  const bad = (args: string[]) => {
    const r = parseFilesystemArgs(args);
    if (r.ok) throw new Error(`accepted ${args.join("::")}`);
    return r.result;
  };

  it("accepts heartbeat's argument order with and without options", () => {
    const r = parseFilesystemArgs(["/dev/drbd0", "/data/", "ext4", "noatime,nodev"]);
    expect(r.ok && r.value).toEqual({ device: "/dev/drbd0", directory: "/data", fstype: "ext4", options: "noatime,nodev" });
    expect(parseFilesystemArgs(["-Ldata", "/data", "xfs"]).ok).toBe(true);
    expect(parseFilesystemArgs(["nas:/export/home", "/home", "nfs"]).ok).toBe(true);
    expect(parseFilesystemArgs(["tmpfs", "/scratch", "tmpfs", "size=10m"]).ok).toBe(true);
  });

  it("names the missing or malformed argument with rc 2", () => {
    expect(bad(["/dev/sdb1"])).toMatchObject({ rc: 2, message: expect.stringMatching(/directory.*required/) });
    expect(bad(["/dev/sdb1", "data", "ext4"])).toMatchObject({ rc: 2, message: expect.stringMatching(/directory \("data"\).*absolute/) });
    expect(bad(["sdb1", "/data", "ext4"])).toMatchObject({ rc: 2, message: expect.stringMatching(/^Filesystem: device \("sdb1"\)/) });
    expect(bad(["/dev/sdb1", "/data", "Ext 4"])).toMatchObject({ rc: 2, message: expect.stringMatching(/fstype/) });
    expect(bad(["/dev/sdb1", "/data", "ext4", "rw, noatime"])).toMatchObject({ rc: 2, message: expect.stringMatching(/options/) });
    expect(bad(["/dev/sdb1", "/data", "ext4", "rw", "extra"])).toMatchObject({ rc: 2, message: expect.stringMatching(/argument 5/) });
  });

  it("refuses to manage the root filesystem with rc 6", () => {
    expect(bad(["/dev/sda1", "/", "ext4"])).toMatchObject({ rc: 6, message: expect.stringMatching(/directory/) });
  });

  it("runs fsck by default only for the ext family on block devices", () => {
    expect(needsFsck("ext4", "/dev/drbd0", "auto")).toBe(true);
    expect(needsFsck("ext2", "-Ldata", "auto")).toBe(true);
    expect(needsFsck("xfs", "/dev/sdb1", "auto")).toBe(false);
    expect(needsFsck("xfs", "/dev/sdb1", "force")).toBe(true);
    expect(needsFsck("ext4", "/dev/drbd0", "no")).toBe(false);
    expect(needsFsck("nfs", "nas:/x", "force")).toBe(false);
    expect(deviceSpec("-Uabc-123")).toBe("UUID=abc-123");
  });
});
