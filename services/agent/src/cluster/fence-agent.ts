// Runs the configured fence agent (ha.cf `fence COMMAND ARGS…`, a Vigil extension) with the victim's
// node name appended, as stonith/fence_* agents are run. Exit 0 means the victim is fenced.
import { runCommand } from "@vigil/resource-agents/exec/run-command";

export const FENCE_TIMEOUT_MS = 30_000;

export function fenceAgent(argv: readonly string[]) {
  return async (victim: string): Promise<{ ok: boolean; rc: number; message: string }> => {
    const r = await runCommand([...argv, victim], { timeoutMs: FENCE_TIMEOUT_MS });
    const out = (r.stderr || r.stdout).trim().slice(0, 500);
    if (r.timedOut) return { ok: false, rc: -1, message: `timed out after ${FENCE_TIMEOUT_MS} ms` };
    return { ok: r.code === 0, rc: r.code, message: out || `exit ${r.code}` };
  };
}
