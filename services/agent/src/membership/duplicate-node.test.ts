import { describe, expect, it } from "vitest";
import { judgeSameName, listenBeforeAnnounceMs } from "./duplicate-node.js";

const other = (over: Partial<{ generation: number; probing: boolean; announcedMs: number | null }> = {}) => ({
  generation: 7,
  from: "198.51.100.99:694",
  probing: false,
  announcedMs: 1_000,
  ...over,
});

describe("two agents for one node", () => {
  it("the running agent keeps the node when a newcomer probes; a newcomer not yet announced leaves", () => {
    expect(judgeSameName({ generation: 5, announcedMs: 60_000 }, other({ probing: true, announcedMs: null }))).toBe("keep");
    expect(judgeSameName({ generation: 8, announcedMs: null }, other())).toBe("leave");
  });

  it("when both have announced, the one announced for longer keeps the node (ties: the lower generation)", () => {
    expect(judgeSameName({ generation: 5, announcedMs: 60_000 }, other({ announcedMs: 1_000 }))).toBe("keep");
    expect(judgeSameName({ generation: 5, announcedMs: 1_000 }, other({ announcedMs: 60_000 }))).toBe("leave");
    expect(judgeSameName({ generation: 8, announcedMs: 1_000 }, other({ announcedMs: 1_000 }))).toBe("leave");
    expect(judgeSameName({ generation: 6, announcedMs: 1_000 }, other({ announcedMs: 1_000 }))).toBe("keep");
    expect(judgeSameName({ generation: 6, announcedMs: 1_000 }, other({ announcedMs: null }))).toBe("leave");
  });

  it("listens a few keepalives before announcing, never past deadtime", () => {
    expect(listenBeforeAnnounceMs({ keepaliveMs: 100, deadtimeMs: 600 })).toBe(500);
    expect(listenBeforeAnnounceMs({ keepaliveMs: 50, deadtimeMs: 200 })).toBe(200);
    expect(listenBeforeAnnounceMs({ keepaliveMs: 2_000, deadtimeMs: 30_000 })).toBe(10_000);
  });
});
