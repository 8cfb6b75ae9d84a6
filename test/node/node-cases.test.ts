// Golden node cases: each YAML file in cases/ is a short history of what one node hears and reads,
// and the effects a reviewer agrees its production code must have (README.md). The runner hosts the
// production heartbeat loop and Controller (run-node-case.ts); nothing here decides anything.
// GOLDEN_TRACE=<file name> prints that case's whole trace.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadNodeCases, parseNodeCase } from "./node-case.js";
import { runNodeCase } from "./run-node-case.js";
import { caseProblems, failureMessage } from "./match-effects.js";

const cases = loadNodeCases(fileURLToPath(new URL("./cases", import.meta.url)));

describe("golden node cases", () => {
  for (const { file, case: c } of cases) {
    it(file.replace(/\.ya?ml$/, ""), () => {
      const run = runNodeCase(c);
      if (process.env.GOLDEN_TRACE && file.startsWith(process.env.GOLDEN_TRACE)) console.log(failureMessage(file, [], run, 10_000));
      const problems = caseProblems(c.expect, c.never, run);
      expect(problems, failureMessage(file, problems, run)).toEqual([]);
    });
  }
});
