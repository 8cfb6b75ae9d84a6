// The chaos suite's deciding half, on hand-made records: each check must catch what it names.
import { describe, expect, it } from "vitest";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { canonicalView, duplicateIds, flapping, foldDifferences, freshFold, holderOverlaps, longestNoHolder, parseLog, statusMismatch, type LogLine } from "./invariants.js";
import { planTrials, replayCommand, trialSeed } from "./schedule.js";

const ch = (node: string, at: number, held: boolean) => ({ node, at, held });

describe("holder overlaps", () => {
  it("a clean handover has none; a start before the stop is an overlap of exactly that long", () => {
    expect(holderOverlaps([ch("n1", 0, true), ch("n1", 100, false), ch("n2", 150, true)], 0, 1_000)).toEqual([]);
    expect(holderOverlaps([ch("n1", 0, true), ch("n2", 100, true), ch("n1", 350, false)], 0, 1_000)).toEqual([{ from: 100, to: 350, nodes: ["n1", "n2"] }]);
  });
  it("an overlap still open at the end counts up to the end; the dark time is measured too", () => {
    expect(holderOverlaps([ch("n1", 0, true), ch("n2", 900, true)], 0, 1_000)).toEqual([{ from: 900, to: 1_000, nodes: ["n1", "n2"] }]);
    expect(longestNoHolder([ch("n1", 0, true), ch("n1", 100, false), ch("n2", 600, true)], 0, 1_000)).toBe(500);
  });
});

const ev = (seq: number, type: "NodeDead" | "GroupStarted" | "NodeLate", id: string, time: number): LogLine => ({
  seq,
  event:
    type === "GroupStarted"
      ? makeEvent("GroupStarted", { group: "web" } as never, { id, node: "n2", time })
      : makeEvent(type, { peer: "n1", silentMs: 600 } as never, { id, node: "n2", time }),
});

describe("the log checks", () => {
  it("a repeated id is found with its sequence numbers", () => {
    expect(duplicateIds([ev(1, "NodeLate", "a", 0), ev(2, "NodeLate", "b", 0), ev(3, "NodeLate", "a", 0)])).toEqual([{ id: "a", seqs: [1, 3] }]);
  });
  it("flapping: NodeDead and group starts inside the window, and address changes, count; a warning does not", () => {
    const events = [ev(1, "NodeLate", "a", 1_000), ev(2, "NodeDead", "b", 1_500), ev(3, "GroupStarted", "c", 5_000)];
    expect(flapping(events, [], 1_000, 2_000)).toHaveLength(1);
    expect(flapping(events, [ch("n2", 1_200, true)], 1_000, 6_000)).toHaveLength(3);
  });
  it("parseLog keeps the events and sets apart lines that are not", () => {
    const line = JSON.stringify({ seq: 4, ...makeEvent("NodeLate", { peer: "n1", silentMs: 1 } as never, { id: "x", node: "n2", time: 0 }) });
    const { events, invalid } = parseLog(`${line}\nnot json\n{"seq":5,"type":"Nope"}\n`);
    expect(events.map((e) => e.seq)).toEqual([4]);
    expect(invalid).toHaveLength(2);
  });
});

describe("one truth", () => {
  const status = (node: string | null, state: string, res = "started") => ({
    lastSeq: 9,
    nodes: [{ name: "n1", state: "online" }, { name: "n2", state: "online" }],
    groups: [{ id: "web", node, state, resources: [{ id: "ip", state: res }] }],
  });
  it("status agrees only when it names the one holder, started with every resource started", () => {
    expect(statusMismatch(status("n1", "started"), "web", ["n1"], { n1: "online" })).toBeNull();
    expect(statusMismatch(status("n1", "started", "stopped"), "web", ["n1"], {})).toMatch(/n1 holds its address/);
    expect(statusMismatch(status(null, "stopped"), "web", ["n1"], {})).toMatch(/n1 holds/);
    expect(statusMismatch(status("n1", "started"), "web", [], {})).toMatch(/no node holds/);
    expect(statusMismatch(status("n1", "started"), "web", ["n1"], { n1: "standby" })).toMatch(/node n1 is online; it is standby/);
  });
  it("a fold that missed an event differs from the fresh fold; the same events fold the same", () => {
    const events = [ev(1, "NodeLate", "a", 0), ev(2, "GroupStarted", "b", 10)];
    expect(foldDifferences(freshFold("lab", events, 2), freshFold("lab", events, 2))).toEqual([]);
    expect(canonicalView(freshFold("lab", events, 2))).not.toEqual(canonicalView(freshFold("lab", events, 1)));
    expect(foldDifferences(freshFold("lab", events.slice(0, 1), 2), freshFold("lab", events, 2)).join()).toMatch(/applied ids differ/);
  });
});

describe("the schedule", () => {
  it("trial 0 runs on the run's seed, so the printed replay makes that trial again", () => {
    const plan = planTrials(42, ["a", "b", "c"], 7);
    expect(plan[0]!.seed).toBe(42);
    expect(new Set(plan.map((p) => p.kind))).toEqual(new Set(["a", "b", "c"]));
    const again = planTrials(plan[4]!.seed, [plan[4]!.kind], 1)[0]!;
    expect(again).toMatchObject({ kind: plan[4]!.kind, seed: plan[4]!.seed });
    expect(replayCommand(plan[4]!, true)).toBe(`npm run chaos -- --seed ${plan[4]!.seed} --kind ${plan[4]!.kind} --trials 1 --short`);
    expect(trialSeed(42, 1)).not.toBe(trialSeed(42, 2));
    expect(planTrials(42, ["a", "b", "c"], 7)).toEqual(plan);
  });
});
