import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

describe("heartbeat time values", () => {
  it.each([
    ["2", 2000],
    ["0.5", 500],
    [".25", 250],
    ["1.0005", 1001],
    ["500ms", 500],
    ["500 ms", 500],
    ["250MS", 250],
    ["1.5ms", 2],
    ["100msec", 100],
    ["1500us", 2],
    ["499us", 0],
    ["0", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(["", "ms", "2s", "-1", "1e3", "two", "1.2.3", "5 minutes", "0x10"])("%j is refused", (text) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(JSON.stringify(text));
  });

  it("formats whole seconds as seconds and the rest as milliseconds", () => {
    expect(formatDuration(30_000)).toBe("30s");
    expect(formatDuration(250)).toBe("250ms");
    expect(formatDuration(1500)).toBe("1500ms");
  });
});
