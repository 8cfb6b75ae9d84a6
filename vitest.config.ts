import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
    include: ["{shared,log-client,resource-agents,services,test}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Lab tests build namespaces and start real servers; run files one at a time so they do not
    // compete for the two cores and their timing margins stay honest.
    fileParallelism: false,
  },
});
