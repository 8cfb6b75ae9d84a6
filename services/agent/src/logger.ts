import { destination, pino, type Logger } from "pino";

/** Agents log pino JSON to stderr (stdout stays free for the CLI). */
export function agentLogger(node: string, level = process.env.VIGIL_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: { node } }, destination({ fd: 2, sync: true }));
}
