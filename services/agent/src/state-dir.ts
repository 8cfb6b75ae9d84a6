// The agent's local state directory: its lock, its generation counter and its outbox.
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, closeSync } from "node:fs";

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

/** Who holds a state dir: the pid, and the process's start time and the boot it ran in, so that a
 *  pid reused after a crash or a reboot does not look like the old holder. */
export interface LockHolder {
  pid: number;
  /** /proc/PID/stat's starttime (clock ticks since boot); null where /proc is not readable. */
  start: string | null;
  boot: string | null;
}

export type LockResult = { ok: true; release: () => void } | { ok: false; holder: LockHolder; path: string };

export const lockPath = (stateDir: string): string => `${stateDir}/agent.lock`;

/**
 * One agent per state dir: `agent.lock` is created exclusively (O_EXCL) with the holder's identity.
 * A lock whose holder is no longer running (kill -9, a crash, a reboot) is taken over; a live
 * holder refuses the newcomer before it writes anything else. `release` removes the lock if it is
 * still ours; it also runs at process exit.
 */
export function acquireStateDirLock(stateDir: string, pid = process.pid): LockResult {
  mkdirSync(stateDir, { recursive: true });
  const path = lockPath(stateDir);
  const me: LockHolder = { pid, start: statFields(pid)?.[19] ?? null, boot: bootId() };
  const text = JSON.stringify(me);
  // Two rounds: the second after removing a dead holder's leftover.
  for (let round = 0; round < 2; round++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeFileSync(fd, text);
      closeSync(fd);
      const release = () => {
        try {
          if (readFileSync(path, "utf8") === text) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
        process.off("exit", release);
      };
      process.on("exit", release);
      return { ok: true, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = readHolder(path);
    if (holder && holderRuns(holder)) return { ok: false, holder, path };
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  const holder = readHolder(path);
  return { ok: false, holder: holder ?? { pid: 0, start: null, boot: null }, path };
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    if (typeof h.pid !== "number" || !Number.isInteger(h.pid) || h.pid <= 0) return null;
    return { pid: h.pid, start: typeof h.start === "string" ? h.start : null, boot: typeof h.boot === "string" ? h.boot : null };
  } catch {
    return null; // unreadable or torn (a crash while writing it): nobody holds it
  }
}

/** Whether the process that wrote the lock still runs: same boot, same pid, same start time. */
export function holderRuns(h: LockHolder): boolean {
  const boot = bootId();
  if (h.boot !== null && boot !== null && h.boot !== boot) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A zombie (killed, not yet reaped) holds nothing.
  const fields = statFields(h.pid);
  if (fields?.[0] === "Z" || fields?.[0] === "X") return false;
  const start = fields?.[19] ?? null;
  return h.start === null || start === null || h.start === start;
}

function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

/** /proc/PID/stat's fields after the parenthesised command name (which may hold spaces): [0] is the
 *  state (R, S, D, Z zombie, X dead…), [19] the process's start time. null: no such process. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}
