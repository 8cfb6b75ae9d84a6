// The folding of per-observer copies, on its own: what stays open, what leaves, in which order.
import { describe, expect, it } from "vitest";
import { makeEvent, type EventBody, type EventType } from "@vigil/shared/events/vocabulary";
import { FOLD_WINDOW_MS, LogFolder } from "./log-fold.js";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const ev = <T extends EventType>(type: T, node: string, body: EventBody<T>, dt: number) => makeEvent(type, body, { id: `u.${++n}`, node, time: T0 + dt });
const seen = (xs: { seen: { node: string }[] }[]) => xs.map((x) => x.seen.map((s) => s.node).join(","));

describe("LogFolder", () => {
  it("holds an observation until no copy can come, keeping log order behind it", () => {
    const f = new LogFolder();
    expect(f.push(1, ev("NodeUp", "n1", { peer: "n2", generation: 1 }, 0), 0)).toEqual([]);
    // Not an observation, but it waits behind the open line before it.
    expect(f.push(2, ev("GroupStarted", "n1", { group: "web" }, 10), 1)).toEqual([]);
    expect(f.push(3, ev("NodeUp", "n3", { peer: "n2", generation: 1 }, 20), 2)).toEqual([]);
    // The same observer twice is two changes, not one seen twice.
    expect(f.push(4, ev("NodeUp", "n3", { peer: "n2", generation: 1 }, 30), 3)).toEqual([]);
    const out = f.push(5, ev("NodeUp", "n1", { peer: "n3", generation: 1 }, FOLD_WINDOW_MS + 100), 4);
    expect(out.map((x) => x.seq)).toEqual([1, 2, 4]);
    expect(seen(out)).toEqual(["n1,n3", "n1", "n3"]);
    expect(f.flush().map((x) => x.seq)).toEqual([5]);
  });

  it("while following, lets a line go once its window has passed on the wall clock", () => {
    const f = new LogFolder();
    f.push(1, ev("MembershipChanged", "n1", { members: ["n1", "n2"], quorum: true }, 0), 1_000);
    f.push(2, ev("MembershipChanged", "n2", { members: ["n1", "n2"], quorum: true }, 5), 1_010);
    expect(f.due(1_000 + FOLD_WINDOW_MS - 1)).toEqual([]);
    expect(seen(f.due(1_000 + FOLD_WINDOW_MS + 1))).toEqual(["n1,n2"]);
  });

  it("does not fold copies far apart in time, or with different fields", () => {
    const f = new LogFolder();
    const out = [
      ...f.push(1, ev("NodeDead", "n1", { peer: "n2", silentMs: 500 }, 0), 0),
      ...f.push(2, ev("NodeDead", "n3", { peer: "n2", silentMs: 510 }, 5), 0),
      ...f.push(3, ev("NodeUp", "n1", { peer: "n2", generation: 2 }, 10), 0),
      ...f.push(4, ev("NodeUp", "n3", { peer: "n2", generation: 2 }, 10 + FOLD_WINDOW_MS + 1), 0),
      ...f.flush(),
    ];
    expect(seen(out)).toEqual(["n1", "n3", "n1", "n3"]);
  });
});
