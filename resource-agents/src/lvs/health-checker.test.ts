import { describe, expect, it } from "vitest";
import { type CheckerInput, type CheckerState, initChecker, stepChecker } from "./health-checker.js";

const cfg = { delayLoopMs: 2000, retry: 2, delayBeforeRetryMs: 500 };
const fail: CheckerInput = { kind: "result", ok: false, detail: "connection refused" };
const pass: CheckerInput = { kind: "result", ok: true, detail: "HTTP 200" };

/** Runs a check at `now` and feeds its result; returns the new state and the effects of the result. */
function check(s: CheckerState, result: CheckerInput, now: number) {
  const t = stepChecker(cfg, s, { kind: "tick" }, now);
  expect(t.effects).toEqual([{ kind: "run-check" }]);
  return stepChecker(cfg, t.state, result, now);
}

describe("health checker", () => {
  it("runs the first check at once and then every delay_loop while it passes", () => {
    let s = initChecker(100, false);
    expect(s.alive).toBe(true);
    const r = check(s, pass, 100);
    s = r.state;
    expect(r.effects).toEqual([]);
    expect(s.dueAt).toBe(2100);
    expect(stepChecker(cfg, s, { kind: "tick" }, 2099).effects).toEqual([]);
  });

  it("retries a failing live server `retry` times, delay_before_retry apart, before declaring it down", () => {
    let s = initChecker(0, false);
    let r = check(s, fail, 0);
    expect(r.effects).toEqual([]);
    expect(r.state).toMatchObject({ alive: true, failures: 1, dueAt: 500 });
    r = check(r.state, fail, 500);
    expect(r.effects).toEqual([]);
    expect(r.state).toMatchObject({ alive: true, failures: 2, dueAt: 1000 });
    r = check(r.state, fail, 1000);
    expect(r.effects).toEqual([{ kind: "went-down", detail: "connection refused" }]);
    expect(r.state).toMatchObject({ alive: false, failures: 0, dueAt: 3000 });
    s = r.state;
    // Down: checked every delay_loop, no retries, no repeated went-down.
    r = check(s, fail, 3000);
    expect(r.effects).toEqual([]);
    expect(r.state.dueAt).toBe(5000);
  });

  it("a success between retries resets the failure count", () => {
    let r = check(initChecker(0, false), fail, 0);
    r = check(r.state, pass, 500);
    expect(r.state).toMatchObject({ alive: true, failures: 0, dueAt: 2500 });
    r = check(r.state, fail, 2500);
    expect(r.state.failures).toBe(1);
  });

  it("a down server comes back on the first passing check", () => {
    let r = check(initChecker(0, true), fail, 0);
    expect(r.state.alive).toBe(false);
    expect(r.effects).toEqual([]);
    r = check(r.state, pass, 2000);
    expect(r.effects).toEqual([{ kind: "came-up", detail: "HTTP 200" }]);
    expect(r.state.alive).toBe(true);
  });

  it("with alpha a server starts down and retry 0 takes a live one down on one failure", () => {
    expect(initChecker(0, true).alive).toBe(false);
    const r = stepChecker({ ...cfg, retry: 0 }, { alive: true, failures: 0, dueAt: null, lastDetail: "" }, fail, 10);
    expect(r.effects).toEqual([{ kind: "went-down", detail: "connection refused" }]);
  });

  it("ignores a result while no check is in flight", () => {
    const s = initChecker(0, false);
    expect(stepChecker(cfg, s, fail, 0)).toEqual({ state: s, effects: [] });
  });
});
