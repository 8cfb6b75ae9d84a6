// Golden node cases: each YAML file in cases/ is a short history of what one node hears and reads,
// and the effects a reviewer agrees its production code must have (README.md). The runner hosts the
// production heartbeat loop and Controller (run-node-case.ts); nothing here decides anything.
// GOLDEN_TRACE=<start of a file name> prints that case's whole trace.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadNodeCases, parseNodeCase } from "./node-case.js";
import { runNodeCase } from "./run-node-case.js";
import { caseProblems, failureMessage } from "./match-effects.js";

const cases = loadNodeCases(fileURLToPath(new URL("./cases", import.meta.url)));

/** The hardest rules (issue 9), by the prefix of their cases' file names. */
const RULES = ["mutual-quorum-", "relayed-liveness-", "rejoin-gate-", "fence-", "stop-budget-"];

describe("golden node cases", () => {
  it.each(RULES)("there are at least two cases of %s*", (prefix) => {
    expect(cases.filter((c) => c.file.startsWith(prefix)).length).toBeGreaterThanOrEqual(2);
  });

  for (const { file, case: c } of cases) {
    it(file.replace(/\.ya?ml$/, ""), () => {
      const run = runNodeCase(c);
      if (process.env.GOLDEN_TRACE && file.startsWith(process.env.GOLDEN_TRACE)) console.log(failureMessage(file, [], run, 10_000));
      const problems = caseProblems(c.expect, c.never, run);
      expect(problems, failureMessage(file, problems, run)).toEqual([]);
    });
  }
});

const minimal = (over: string) =>
  [
    "description: d",
    "cluster:",
    "  nodes: [n1, n2]",
    "  self: n1",
    "  groups: { web: { preferred: n1 } }",
    "history:",
    "  - { at: 0, hear: n2, report: { vouchesFor: [n1] } }",
    "expect:",
    "  - { at: 0, start: web }",
    "until: 100",
    over,
  ].join("\n");

describe("the node case loader", () => {
  it("reads a minimal case", () => {
    expect(parseNodeCase("ok.yaml", minimal("")).cluster.timing).toBe("fast");
  });

  it("refuses a misspelt key, naming the file and the field", () => {
    const text = minimal("").replace("vouchesFor", "vouchFor");
    expect(() => parseNodeCase("typo.yaml", text)).toThrow(/typo\.yaml: not a valid node case[\s\S]*vouchFor[\s\S]*history\[0\]\.report/);
  });

  it("refuses an effect it does not know", () => {
    const text = minimal("").replace("start: web", "begin: web");
    expect(() => parseNodeCase("effect.yaml", text)).toThrow(/effect\.yaml[\s\S]*begin[\s\S]*expect\[0\]/);
  });

  it("refuses a node or group the cluster does not have", () => {
    expect(() => parseNodeCase("node.yaml", minimal("").replace("hear: n2", "hear: n9"))).toThrow(/node\.yaml[\s\S]*n9 is not a node of cluster\.nodes[\s\S]*history\[0\]\.hear/);
    expect(() => parseNodeCase("group.yaml", minimal("").replace("start: web", "start: db"))).toThrow(/group\.yaml[\s\S]*db is not a group[\s\S]*expect\[0\]\.start/);
  });

  it("refuses a log event that is not one, with the vocabulary's reason", () => {
    const text = minimal("").replace("  - { at: 0, hear: n2, report: { vouchesFor: [n1] } }", "  - { at: 0, event: { type: MoveRequested, group: web } }");
    expect(() => parseNodeCase("event.yaml", text)).toThrow(/event\.yaml[\s\S]*not a valid MoveRequested event[\s\S]*target/);
  });

  it("refuses an item with two effects or two inputs", () => {
    expect(() => parseNodeCase("two.yaml", minimal("").replace("start: web", "start: web, stop: web"))).toThrow(/two\.yaml[\s\S]*found start, stop/);
    expect(() => parseNodeCase("in.yaml", minimal("").replace("hear: n2,", "hear: n2, witness: true,"))).toThrow(/in\.yaml[\s\S]*found hear, witness/);
  });

  it("refuses a case without an end", () => {
    expect(() => parseNodeCase("end.yaml", minimal("").replace("until: 100", ""))).toThrow(/end\.yaml[\s\S]*until/);
  });
});
