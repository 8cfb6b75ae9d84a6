import { describe, expect, it } from "vitest";
import { dropsNews } from "./drops-report.js";

const zero = { malformed: 0, auth: 0, probe: 0 };

describe("dropsNews", () => {
  it("a peer's start-up probes alone are no news, however many", () => {
    expect(dropsNews({ ...zero, probe: 2 }, [], "")).toBeNull();
    expect(dropsNews({ ...zero, probe: 40 }, [], "")).toBeNull();
  });

  it("any other drop is news once, and again only when a count or the open rejections change", () => {
    const first = dropsNews({ ...zero, auth: 3, probe: 2 }, [], "");
    expect(first).not.toBeNull();
    expect(dropsNews({ ...zero, auth: 3, probe: 9 }, [], first!)).toBeNull();
    expect(dropsNews({ ...zero, auth: 4, probe: 9 }, [], first!)).not.toBeNull();
    expect(dropsNews({ ...zero, auth: 3, probe: 2 }, [{ peer: "n2", reason: "auth", count: 3 }], first!)).not.toBeNull();
  });
});
