// What the demo prints: narration lines, the live event log in human form, and `vigil status`.
import { createInterface } from "node:readline";
import { LabProcess } from "../lab/lab-process.js";
import type { VigilCli } from "../lab/cli.js";
import { demoLogLine } from "./log-lines.js";

const t0 = Date.now();
const clock = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;

/** A narration line: what the demo is doing now and what to look for. */
export function say(text: string): void {
  process.stdout.write(`\n${clock()}  ▶ ${text}\n`);
}

export function note(text: string): void {
  process.stdout.write(`${clock()}    ${text}\n`);
}

/**
 * Runs `vigil log -f` (human form) and prints each line as it comes, marked as log output; with
 * `filtered`, only the lines that explain a move (see log-lines.ts), time of day only.
 */
export function showLiveLog(argv: readonly string[], logFile: string, filtered = false): LabProcess {
  const proc = new LabProcess("vigil-log-f-human", argv, logFile, { pipeStdout: true });
  createInterface({ input: proc.child.stdout! }).on("line", (line) => {
    const shown = filtered ? demoLogLine(line) : line;
    if (shown !== undefined) process.stdout.write(`         │ ${shown}\n`);
  });
  return proc;
}

/** Prints `vigil status`, indented; a failure is shown, not hidden. */
export async function showStatus(cli: VigilCli): Promise<void> {
  const r = await cli.run(["status"]);
  const text = (r.code === 0 ? r.stdout : `vigil status exited ${r.code}: ${r.stderr}`).trimEnd();
  process.stdout.write(text.split("\n").map((l) => `         ┆ ${l}`).join("\n") + "\n");
}
