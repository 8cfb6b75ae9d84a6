import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const ALL = ["{shared,log-client,resource-agents,services,test}/**/*.test.ts"];
const NOT_TESTS = ["**/node_modules/**", "**/dist/**"];
/** Test files that only compute: the simulator (virtual time; sim-run.test.ts also runs the built
 *  one) and the pure decision and parser tests. No bound in them is on the wall clock, so they run
 *  two at a time, one per core. */
const CPU_ONLY = ["test/sim/**/*.test.ts", "test/node/**/*.test.ts", "shared/src/**/*.test.ts"];

// Unit tests import workspace packages from source, so they run without a build;
// lab tests spawn the built agent (`npm test` builds first).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@vigil\/shared\/(.*)$/, replacement: src("./shared/src/$1") },
      { find: /^@vigil\/log-client\/(.*)$/, replacement: src("./log-client/src/$1") },
      { find: /^@vigil\/resource-agents\/(.*)$/, replacement: src("./resource-agents/src/$1") },
      { find: /^@vigil\/agent\/(.*)$/, replacement: src("./services/agent/src/$1") },
      { find: /^@vigil\/cli\/(.*)$/, replacement: src("./services/cli/src/$1") },
    ],
  },
  test: {
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // First, the files that only compute, two at a time: nothing in them reads a wall clock, so
      // running beside each other changes their time and nothing else.
      // Beside another file a test takes up to twice its CPU time, hence the longer timeout.
      { extends: true, test: { name: "cpu", include: CPU_ONLY, exclude: NOT_TESTS, maxWorkers: 2, testTimeout: 180_000, sequence: { groupOrder: 0 } } },
      // Then the rest, one file at a time: lab tests build namespaces and start real servers, and
      // unit tests with real timers and processes; alone, they do not compete for the two cores and
      // their timing margins stay honest.
      { extends: true, test: { name: "lab", include: ALL, exclude: [...NOT_TESTS, ...CPU_ONLY], fileParallelism: false, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
