import { describe, expect, it } from "vitest";
import { findExport, parseExportfsVerbose } from "./exportfs-output.js";

// Real `exportfs -v` output (nfs-utils 2.6.2, Debian 12): short paths padded to 14 columns, then a
// tab; longer ones wrapped onto a second line; the anonymous client shown as <world>.
const REAL = [
  "/srv/nfs      \t192.168.1.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,root_squash,no_all_squash)",
  "/tmp/vg-exp-DnKH/a",
  "\t\t127.0.0.1(sync,wdelay,hide,no_subtree_check,fsid=9,sec=sys,rw,root_squash,no_all_squash)",
  "/tmp/vg-exp-DnKH/a very long path name here",
  "\t\t<world>(sync,wdelay,hide,no_subtree_check,sec=sys,ro,root_squash,no_all_squash)",
  "/data         \t*.example.com(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)",
  "/data         \t@trusted(sync,wdelay,hide,no_subtree_check,sec=sys,ro,secure,root_squash,no_all_squash)",
  "",
].join("\n");

describe("exportfs -v output", () => {
  const entries = parseExportfsVerbose(REAL);

  it("reads short and wrapped entries with their options", () => {
    expect(entries.map((e) => [e.path, e.client])).toEqual([
      ["/srv/nfs", "192.168.1.0/24"],
      ["/tmp/vg-exp-DnKH/a", "127.0.0.1"],
      ["/tmp/vg-exp-DnKH/a very long path name here", "*"],
      ["/data", "*.example.com"],
      ["/data", "@trusted"],
    ]);
    expect(entries[1]?.options).toContain("fsid=9");
  });

  it("finds an export by client and path, taking * for <world> and ignoring a trailing slash", () => {
    expect(findExport(entries, "*", "/tmp/vg-exp-DnKH/a very long path name here")?.options).toContain("ro");
    expect(findExport(entries, "@trusted", "/data/")?.options).toContain("ro");
    expect(findExport(entries, "127.0.0.2", "/tmp/vg-exp-DnKH/a")).toBeUndefined();
    expect(findExport(entries, "127.0.0.1", "/tmp/vg-exp-DnKH")).toBeUndefined();
  });

  it("reads empty output as no exports", () => {
    expect(parseExportfsVerbose("")).toEqual([]);
  });
});
