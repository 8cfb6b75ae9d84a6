// Runs the configured fence agent against a victim. Two forms (ha.cf, hacf-fence.ts):
// `fence COMMAND ARGS…` runs COMMAND with the victim's node name appended; a fence_* agent
// (`fence_agent fence_NAME key=value…`) gets its standard stdin interface, one key=value per line
// (the operator's parameters, `action=off|reboot`, `plug=PLUG`). Exit 0 means the victim is fenced.
import { fenceAgentInput, resolveFenceAgent } from "@vigil/shared/config/hacf-fence";
import type { FenceAgentSpec } from "@vigil/shared/config/schemas";
import { runCommand, type CommandResult } from "@vigil/resource-agents/exec/run-command";

export const FENCE_TIMEOUT_MS = 30_000;

export type FenceResult = { ok: boolean; rc: number; message: string };

export function fenceAgent(argv: readonly string[], timeoutMs = FENCE_TIMEOUT_MS) {
  return async (victim: string): Promise<FenceResult> => outcome(await runCommand([...argv, victim], { timeoutMs }), timeoutMs);
}

export function fenceStdinAgent(spec: FenceAgentSpec, timeoutMs = FENCE_TIMEOUT_MS) {
  return async (victim: string): Promise<FenceResult> => {
    const path = resolveFenceAgent(spec.agent);
    if (!path) return { ok: false, rc: 127, message: `fence agent ${spec.agent} not found (looked in PATH, /usr/sbin, /sbin; Debian's fence-agents package has the fence_* agents)` };
    return outcome(await runCommand([path], { timeoutMs, input: fenceAgentInput(spec, victim) }), timeoutMs);
  };
}

/** What the log says about a run: its exit code and its last words (stderr first: fence_* agents
 *  report errors there, "Success: Powered OFF" on stdout). */
function outcome(r: CommandResult, timeoutMs: number): FenceResult {
  if (r.timedOut) return { ok: false, rc: -1, message: `timed out after ${timeoutMs} ms` };
  const text = (r.code === 0 ? r.stdout || r.stderr : r.stderr || r.stdout).trim();
  const out = lastLines(text, 500);
  return { ok: r.code === 0, rc: r.code, message: out || `exit ${r.code}` };
}

/** The end of an agent's output (where its verdict is), whole lines, at most `max` characters. */
function lastLines(text: string, max: number): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const kept: string[] = [];
  let n = 0;
  for (const l of lines.reverse()) {
    if (n + l.length > max && kept.length > 0) break;
    kept.unshift(l.slice(-max));
    n += l.length + 3;
  }
  return kept.join(" | ");
}
