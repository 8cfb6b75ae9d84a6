// Last-resort teardown when the test process exits or is interrupted before `destroy()` ran:
// synchronously kill the pids we started and delete the namespaces and dirs we made.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";

const pids = new Set<number>();
const namespaces = new Set<string>();
const dirs = new Set<string>();
let installed = false;
let handleSignals = true;

/** For a program (the demo) that tears down on Ctrl-C itself; the `exit` sweep stays in place. */
export function leaveSignalsToCaller(): void {
  handleSignals = false;
}

export const rememberPid = (pid: number) => (install(), pids.add(pid));
export const forgetPid = (pid: number) => pids.delete(pid);
export const rememberNamespace = (ns: string) => (install(), namespaces.add(ns));
export const forgetNamespace = (ns: string) => namespaces.delete(ns);
export const rememberDir = (dir: string) => (install(), dirs.add(dir));
export const forgetDir = (dir: string) => dirs.delete(dir);

export function cleanupNowSync(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* no group */
    }
  }
  pids.clear();
  for (const ns of namespaces) {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore", timeout: 5_000 });
    } catch {
      /* already gone */
    }
  }
  namespaces.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once("exit", cleanupNowSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      if (!handleSignals) return;
      cleanupNowSync();
      // Re-raise with the default action so the exit status still says we were interrupted.
      process.kill(process.pid, sig);
    });
  }
}
