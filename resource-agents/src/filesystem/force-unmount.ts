// Unmounting a busy filesystem the way heartbeat's Filesystem did (force_unmount): try umount; when it
// is busy, signal the processes using it (TERM first, KILL after), try again, a bounded number of
// times. It never lies: if the filesystem is still mounted at the end, the caller gets the reason.
import { ActionRunner, describeFailure } from "./action-runner.js";
import { mountAt, parseMounts, type MountEntry } from "./mount-table.js";

export interface UnmountPolicy {
  /** Kill the users of a busy mount (heartbeat's force_unmount=true). */
  killUsers: boolean;
  /** umount attempts in all. */
  tries: number;
  /** Attempts that send TERM before switching to KILL. */
  termTries: number;
  /** Pause after signalling, so the processes can exit before the next umount. */
  killWaitMs: number;
}

export type UnmountOutcome = { ok: true; killed: number[] } | { ok: false; reason: string };

export async function readMounts(run: ActionRunner): Promise<{ ok: true; entries: MountEntry[] } | { ok: false; reason: string }> {
  const argv = ["cat", "/proc/self/mounts"];
  const r = await run.run(argv);
  if (r.code !== 0) return { ok: false, reason: describeFailure(argv, r) };
  return { ok: true, entries: parseMounts(r.stdout) };
}

/** Parses `fuser -m` stdout: pids, each possibly followed by access letters (c, e, f, F, r, m). */
export function parseFuserPids(stdout: string): number[] {
  const pids = stdout
    .split(/\s+/)
    .map((w) => /^(\d+)[a-zA-Z]*$/.exec(w)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number);
  return [...new Set(pids)];
}

/** Pids we must never signal: init, and ourselves and our parent (an agent whose cwd sits inside). */
function killable(pid: number): boolean {
  return pid > 1 && pid !== process.pid && pid !== process.ppid;
}

export async function unmountDir(run: ActionRunner, dir: string, policy: UnmountPolicy): Promise<UnmountOutcome> {
  const killed = new Set<number>();
  let lastError = "";
  for (let attempt = 1; attempt <= policy.tries; attempt++) {
    const umount = ["umount", dir];
    const r = await run.run(umount);
    const now = await readMounts(run);
    if (!now.ok) return { ok: false, reason: `cannot read the mount table: ${now.reason}` };
    if (!mountAt(now.entries, dir)) return { ok: true, killed: [...killed] };
    lastError = r.code === 0 ? `${dir} is still mounted after umount (stacked mounts?)` : describeFailure(umount, r);
    if (run.expired()) break;
    if (!policy.killUsers) break;
    // fuser -m names every process using the filesystem mounted at dir; dir was just seen mounted,
    // so this cannot widen to the filesystem underneath.
    const fuserArgv = ["fuser", "-m", dir];
    const users = await run.run(fuserArgv);
    if (users.code === 127) return { ok: false, reason: `${lastError}; cannot find its users: fuser is not installed` };
    const pids = parseFuserPids(users.stdout).filter(killable);
    if (pids.length > 0) {
      const signal = attempt <= policy.termTries ? "TERM" : "KILL";
      await run.run(["kill", `-${signal}`, ...pids.map(String)]);
      for (const p of pids) killed.add(p);
      lastError += `; sent ${signal} to ${pids.join(" ")}`;
    }
    await run.sleep(policy.killWaitMs);
  }
  const users = policy.killUsers ? "" : " (killing its users is disabled)";
  return { ok: false, reason: `${dir} is still mounted${users}: ${lastError}` };
}
