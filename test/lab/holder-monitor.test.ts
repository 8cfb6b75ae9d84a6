// The one holder monitor's line format: one `ip monitor address all-nsid` reads every namespace.
import { describe, expect, it } from "vitest";
import { holderOverlaps, overlapMs, parseMonitorLine } from "./holder-monitor.js";

const VIP = "198.51.100.50";

describe("parseMonitorLine", () => {
  it("reads an add and a delete with the namespace's nsid, and the time ip stamped (UTC)", () => {
    const add = "[2026-12-01T23:04:21.552427] [nsid 2]2: eth0    inet 198.51.100.50/24 brd 198.51.100.255 scope global secondary dynamic eth0\\       valid_lft 1sec preferred_lft 1sec";
    const del = "[2026-12-01T23:04:22.557144] [nsid 1]Deleted 2: eth0    inet 198.51.100.50/24 scope global dynamic eth0\\       valid_lft 0sec preferred_lft 0sec";
    expect(parseMonitorLine(add, VIP)).toEqual({ at: Date.parse("2026-12-01T23:04:21.552Z"), held: true, nsid: 2 });
    expect(parseMonitorLine(del, VIP)).toMatchObject({ held: false, nsid: 1 });
  });

  it("reads a line without an nsid, and ignores other addresses and other lines", () => {
    expect(parseMonitorLine("[2026-12-01T23:04:21.5] 2: eth0    inet 198.51.100.50/24 scope global eth0", VIP)).toMatchObject({ held: true, nsid: null });
    expect(parseMonitorLine("[2026-12-01T23:04:21.5] [nsid 1]2: eth0    inet 198.51.100.11/24 scope global eth0", VIP)).toBeUndefined();
    expect(parseMonitorLine("[2026-12-01T23:04:21.5] [nsid 1]1: lo    inet6 ::1/128 scope host", VIP)).toBeUndefined();
  });
});

describe("holderOverlaps", () => {
  it("counts the time two nodes held the address, from the changes in the monitor's order", () => {
    const ch = (node: string, at: number, held: boolean) => ({ node, at, held });
    const o = holderOverlaps([ch("n1", 0, true), ch("n2", 100, true), ch("n1", 143, false), ch("n1", 500, true)], 0, 1_000);
    expect(o).toEqual([{ from: 100, to: 143, nodes: ["n1", "n2"] }, { from: 500, to: 1_000, nodes: ["n1", "n2"] }]);
    expect(overlapMs(o)).toBe(543);
  });
});
