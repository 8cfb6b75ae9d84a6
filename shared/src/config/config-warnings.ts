// What a valid configuration may still get wrong: printed by `vigil config check` and logged by the
// agent at start, never refused (heartbeat's own files must keep working).
import type { ConfigError } from "./config-error.js";
import { hasFenceAgent } from "./hacf-fence.js";
import type { HaCf } from "./schemas.js";

/** `lines`: where each once-only directive was written (hacf-parser's directiveLines). */
export function configWarnings(h: HaCf, file: string, lines: ReadonlyMap<string, number>, lastNodeLine: number): ConfigError[] {
  const warnings: ConfigError[] = [];
  if (h.nodes.length === 2 && !hasFenceAgent(h) && h.pingNodes.length === 0) {
    warnings.push({
      file,
      line: lastNodeLine,
      message:
        "two nodes with no fence agent and no ping tie-breaker: when the link between them fails, each may take the " +
        "other for dead and run its groups (add `fence COMMAND` or `ping ADDRESS`)",
    });
  }
  for (const d of ["logfile", "debugfile"] as const) {
    if (h[d] !== undefined) {
      warnings.push({
        file,
        line: lines.get(d) ?? 0,
        message: `${d} ${h[d]}: not honoured: the agent logs pino JSON to stderr (redirect it, or let systemd's journal keep it)`,
      });
    }
  }
  return warnings;
}
