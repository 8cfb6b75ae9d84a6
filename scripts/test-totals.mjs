// Prints vitest's totals as one line, `N passed, N failed`, for CI.
import { readFileSync } from "node:fs";
try {
  const r = JSON.parse(readFileSync(".vitest-report.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
} catch (e) {
  console.log("0 passed, 1 failed");
  console.error(`no vitest report: ${e.message}`);
}
