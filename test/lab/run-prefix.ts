// Every namespace, temp dir and nft table of one lab run carries one short prefix that encodes the pid
// of the process that made it, so a later run can tell a dead run's leftovers from a live neighbour's.
import { randomBytes } from "node:crypto";

/** `vl<pid base36>x<2 random chars>`: at most 2+4+1+2 = 9 characters for pids below 36^4 ≈ 1.7M. */
export function makeRunPrefix(pid: number = process.pid): string {
  const rnd = randomBytes(2).readUInt16BE(0).toString(36).padStart(2, "0").slice(-2);
  return `vl${pid.toString(36)}x${rnd}`;
}

const PREFIX_RE = /^vl([0-9a-z]{1,6})x([0-9a-z]{2})(?:-|$)/;

/** The prefix and owning pid of a lab name (namespace or temp dir), or undefined when not a lab name. */
export function parseRunPrefix(name: string): { prefix: string; pid: number } | undefined {
  const m = PREFIX_RE.exec(name);
  if (!m || !m[1] || !m[2]) return undefined;
  return { prefix: `vl${m[1]}x${m[2]}`, pid: parseInt(m[1], 36) };
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive but not ours; only ESRCH means gone.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
