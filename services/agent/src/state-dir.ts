// The agent's local state directory: its generation counter and its outbox.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";

/** Heartbeat's generation: bumped at every start and persisted, so peers can tell a restart from
 *  a replay. Falls back to the wall clock if the file is unreadable (still increases across starts). */
export function bumpGeneration(stateDir: string, now: number): number {
  mkdirSync(stateDir, { recursive: true });
  const file = `${stateDir}/generation`;
  let last = 0;
  if (existsSync(file)) last = Number.parseInt(readFileSync(file, "utf8"), 10) || 0;
  const next = Math.max(last + 1, Math.floor(now / 1000));
  writeFileSync(`${file}.tmp`, String(next));
  renameSync(`${file}.tmp`, file);
  return next;
}
