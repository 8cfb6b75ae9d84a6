// What a valid configuration may still get wrong: printed by `vigil config check` and logged by the
// agent at start, never refused (heartbeat's own files must keep working).
import type { ConfigError } from "./config-error.js";
import { hasFenceAgent } from "./hacf-fence.js";
import type { HaCf } from "./schemas.js";

/** `lines`: where each once-only directive was written (hacf-parser's directiveLines). */
export function configWarnings(h: HaCf, file: string, lines: ReadonlyMap<string, number>, lastNodeLine: number): ConfigError[] {
  const warnings: ConfigError[] = [];
  // A ping node is reachability, not a tie-breaker: both halves of a split reach it.
  if (h.nodes.length === 2 && !hasFenceAgent(h) && !h.tiebreaker) {
    warnings.push({
      file,
      line: lastNodeLine,
      message:
        "two nodes with neither a tie-breaker nor a fence agent: when the link between them fails and both still " +
        "reach the NATS servers (or a ping node), each takes the other for dead and runs its groups " +
        "(add `tiebreaker nats` with a third host running nats-server as the arbiter, or `fence COMMAND`)",
    });
  }
  if (h.tiebreaker && h.nodes.length !== 2) {
    warnings.push({
      file,
      line: lines.get("tiebreaker") ?? 0,
      message: `tiebreaker ${h.tiebreaker}: ignored: a tie-breaker is for two-node clusters (this one has ${h.nodes.length}; a majority decides)`,
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
