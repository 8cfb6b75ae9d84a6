import { describe, expect, it } from "vitest";
import { cpuTicksFromStat, rssKbFromStatus, sampleUsage } from "./proc-usage.js";

describe("reading a process's CPU and memory from /proc", () => {
  it("utime and stime are read after a command name holding spaces and parentheses", () => {
    const stat = "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 37 5 0 0 20 0 11 0 100 1000 200";
    expect(cpuTicksFromStat(stat)).toBe(42);
  });

  it("VmRSS is read in kB", () => {
    expect(rssKbFromStatus("Name:\tnode\nVmRSS:\t   51234 kB\nThreads:\t11\n")).toBe(51234);
  });

  it("this test process has some CPU time and a resident set", () => {
    const u = sampleUsage(process.pid);
    expect(u.cpuS).toBeGreaterThan(0);
    expect(u.rssKb).toBeGreaterThan(1_000);
  });
});
