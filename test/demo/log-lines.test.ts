import { describe, expect, it } from "vitest";
import { demoLogLine } from "./log-lines.js";

const human = (type: string, rest: string) => `2026-11-22T19:47:21.401Z  #24  n3       ${type.padEnd(18)} ${rest}`;

describe("the live log lines the demo shows", () => {
  it("keeps a move's events with the time of day, sequence, node, type and cause", () => {
    const out = demoLogLine(human("GroupStarted", "group=web  (placement: n1 preferred)"));
    expect(out).toBe("19:47:21.401   #24 n3   GroupStarted      group=web  (placement: n1 preferred)");
  });

  it("hides heartbeat chatter such as NodeLate and NodeUp", () => {
    expect(demoLogLine(human("NodeLate", "peer=n2 silentMs=522"))).toBeUndefined();
    expect(demoLogLine(human("NodeUp", "peer=n2 generation=1"))).toBeUndefined();
  });

  it("shows a line it cannot parse unchanged, and drops blank ones", () => {
    expect(demoLogLine("vigil log: lost the connection, retrying")).toBe("vigil log: lost the connection, retrying");
    expect(demoLogLine("   ")).toBeUndefined();
  });

  it("cuts a long line to the width with an ellipsis", () => {
    const out = demoLogLine(human("PlacementDecided", `placement={"web":"n1"} reasons={"web":"${"x".repeat(300)}"}`), undefined, 80);
    expect(out).toHaveLength(80);
    expect(out!.endsWith("…")).toBe(true);
  });
});
