// Issue 8, stale reasons: a reason prints whole milliseconds, and does not change while nothing but
// time does (each change is a PlacementDecided event).
import { describe, expect, it } from "vitest";
import { decidePlacement } from "./policy.js";
import type { PlacementInput } from "./placement-input.js";

const input = (now: number, upSince: number): PlacementInput => ({
  groups: [{ id: "web", preferredNode: "n1", resources: ["r"] }],
  nodes: [
    { name: "n1", state: "online", upSince },
    { name: "n2", state: "online" },
  ],
  autoFailback: "on",
  current: { web: "n2" },
  moves: {},
  failcounts: {},
  migrationThreshold: {},
  quorum: { hasQuorum: true },
  now,
  failbackStableMs: 1000,
});

describe("placement reasons", () => {
  it("waiting for failback: whole milliseconds, and the same reason at every decision of the wait", () => {
    // Fractional times, as the agent's monotonic clock gives them.
    const upSince = 1_764_583_200_000.7324;
    const first = decidePlacement(input(upSince + 7.9951171875, upSince)).reasons.web!;
    const later = decidePlacement(input(upSince + 512.25, upSince)).reasons.web!;
    expect(first).toMatch(/stays on n2/);
    for (const m of first.matchAll(/(\d+(?:\.\d+)?) ms/g)) expect(Number.isInteger(Number(m[1])), first).toBe(true);
    expect(first).not.toMatch(/\d\.\d+ ms/);
    expect(later).toBe(first);
  });
});
