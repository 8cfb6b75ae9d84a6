// Finds the repository root from this file, whether it runs from source (vitest) or from test/dist.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "services", "cli", "bin", "vigil.js"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("lab: cannot find the repository root (services/cli/bin/vigil.js) above " + fileURLToPath(import.meta.url));
}

/** argv prefix that runs the built `vigil` command. */
export const vigilArgv = (): string[] => [process.execPath, join(repoRoot(), "services", "cli", "bin", "vigil.js")];
