// The follower's watchdog and its fold, as the pure parts LogFollower (and the simulator) run.
import { describe, expect, it } from "vitest";
import { emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { FollowedFold } from "./followed-fold.js";
import { LogWatchdog } from "./log-health.js";

const A = "2026-12-01T10:00:00Z";
const B = "2026-12-01T11:00:00Z";
const stream = (lastSeq: number, created = A) => ({ stream: { created, lastSeq }, followedCreated: A });

describe("the log watchdog", () => {
  it("leaves a reader that is behind but working alone at a periodic look, and restarts one that is not", () => {
    const w = new LogWatchdog();
    expect(w.look({ ...stream(10), foldSeq: 7, activity: 1 })).toEqual({ kind: "none" });
    expect(w.look({ ...stream(10), foldSeq: 7, activity: 2 })).toEqual({ kind: "none" });
    expect(w.look({ ...stream(10), foldSeq: 7, activity: 2 })).toEqual({ kind: "restart", behind: 3 });
  });

  it("after a reconnect restarts a reader still where it was at the reconnect, working or not", () => {
    const w = new LogWatchdog();
    expect(w.look({ ...stream(10), foldSeq: 7, activity: 5, before: 7 })).toEqual({ kind: "restart", behind: 3 });
    expect(w.look({ ...stream(10), foldSeq: 8, activity: 6, before: 7 })).toEqual({ kind: "none" });
  });

  it("reports a lost log once, and again only after a reset (a refold)", () => {
    const w = new LogWatchdog();
    expect(w.look({ ...stream(50, B), foldSeq: 7, activity: 0 })).toMatchObject({ kind: "lost" });
    expect(w.look({ ...stream(50, B), foldSeq: 7, activity: 0 })).toEqual({ kind: "none" });
    w.reset();
    expect(w.look({ ...stream(50, B), foldSeq: 7, activity: 0 })).toMatchObject({ kind: "lost" });
  });
});

describe("the followed fold", () => {
  const ev = (id: string) => makeEvent("StandbyRequested", { target: "n1" }, { id, node: "cli", time: 0 });

  it("applies to the live view; a refold builds a fresh one and swaps it in place at the event it waits for", () => {
    const live = emptyView("c");
    const f = new FollowedFold("c", live, A);
    expect(f.apply(1, ev("a"))).toEqual({ live: true, refolded: false });
    expect(f.apply(1, ev("a"))).toEqual({ live: false, refolded: false });
    f.refold(B, (e) => e.id === "mine");
    expect(f.streamCreated).toBeNull();
    expect(f.followedCreated).toBe(B);
    expect(f.apply(1, ev("x"))).toEqual({ live: false, refolded: false });
    expect(live.applied.has("x")).toBe(false);
    expect(f.target.lastSeq).toBe(1);
    expect(f.apply(2, ev("mine"))).toEqual({ live: false, refolded: true });
    expect([...live.applied].sort()).toEqual(["mine", "x"]);
    expect(f.target).toBe(live);
    expect(f.streamCreated).toBe(B);
  });

  it("learns its stream's identity from the first read only", () => {
    const f = new FollowedFold("c", emptyView("c"), null);
    f.noteStream(A);
    f.noteStream(B);
    expect(f.streamCreated).toBe(A);
  });
});
