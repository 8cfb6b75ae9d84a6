// Golden placement cases, in the manner of Pacemaker's scheduler regression tests: each YAML file in
// cases/ is an input and the placement a reviewer agrees is right.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decidePlacement } from "@vigil/shared/placement/policy";
import { loadCases, parseCase } from "./load-cases.js";
import { toPlacementInput } from "./policy-case.js";

const cases = loadCases(fileURLToPath(new URL("./cases", import.meta.url)));

describe("golden placement cases", () => {
  it("there are at least 30 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const { file, case: c } of cases) {
    it(file.replace(/\.ya?ml$/, ""), () => {
      const result = decidePlacement(toPlacementInput(c));
      expect(result.placement).toEqual(c.expect);
      for (const [group, text] of Object.entries(c.expect_reason ?? {})) {
        expect(result.reasons[group], `reason for ${group}`).toContain(text);
      }
    });
  }
});

describe("the case loader", () => {
  it("names the file when a case is malformed", () => {
    const bad = "given:\n  nodes: { n1: asleep }\n  groups: { web: { preferred: n1 } }\n  auto_failback: on\nexpect: { web: n1 }\n";
    expect(() => parseCase("bad-state.yaml", bad)).toThrow(/bad-state\.yaml: not a valid policy case/);
  });

  it("refuses a case whose expect does not list every group", () => {
    const text =
      "given:\n  nodes: { n1: online }\n  groups: { web: { preferred: n1 }, db: { preferred: n1 } }\n  auto_failback: on\nexpect: { web: n1 }\n";
    expect(() => parseCase("partial.yaml", text)).toThrow(/partial\.yaml.*\n.*expect must list exactly the groups db, web/s);
  });

  it("refuses a misspelt key instead of ignoring it", () => {
    const text = "given:\n  nodes: { n1: online }\n  groups: { web: { preferred: n1 } }\n  auto_failbak: on\nexpect: { web: n1 }\n";
    expect(() => parseCase("typo.yaml", text)).toThrow(/typo\.yaml/);
  });
});
