// Awaiting a line in a log file, for the moments a test cannot watch the event log (NATS is down).
import { readFileSync } from "node:fs";
import { pollUntil } from "./sh.js";

/** Resolves true once a line of `file` matches `re`, false after `timeoutMs` (polled every 50 ms, bounded). */
export async function logHasLine(file: string, re: RegExp, timeoutMs: number): Promise<boolean> {
  try {
    await pollUntil(
      `${re} in ${file}`,
      async () => {
        let text = "";
        try {
          text = readFileSync(file, "utf8");
        } catch {
          return undefined;
        }
        return text.split("\n").some((l) => re.test(l)) ? true : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
    return true;
  } catch {
    return false;
  }
}
