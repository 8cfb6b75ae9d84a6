import { describe, expect, it } from "vitest";
import { withEnv } from "./agent-env.js";

describe("per-agent environment around a spawn", () => {
  it("sets the variables only while the spawn runs, restoring set and unset ones after", () => {
    const key = `VIGIL_DEMO_T_${process.pid}`;
    process.env.PATH_BEFORE_T = "kept";
    const seen = withEnv({ [key]: "n2", PATH_BEFORE_T: "changed" }, () => [process.env[key], process.env.PATH_BEFORE_T]);
    expect(seen).toEqual(["n2", "changed"]);
    expect(process.env[key]).toBeUndefined();
    expect(process.env.PATH_BEFORE_T).toBe("kept");
    delete process.env.PATH_BEFORE_T;
  });

  it("restores the environment when the spawn throws", () => {
    const key = `VIGIL_DEMO_U_${process.pid}`;
    expect(() => withEnv({ [key]: "x" }, () => { throw new Error("spawn failed"); })).toThrow("spawn failed");
    expect(process.env[key]).toBeUndefined();
  });
});
