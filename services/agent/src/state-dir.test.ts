import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireStateDirLock, lockPath } from "./state-dir.js";

const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), "vigil-state-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the state dir's agent lock", () => {
  it("a second agent on one state dir is refused, naming the holder; once released the dir is free", () => {
    const dir = newDir();
    const first = acquireStateDirLock(dir);
    expect(first.ok).toBe(true);
    const second = acquireStateDirLock(dir);
    expect(second).toMatchObject({ ok: false, holder: { pid: process.pid }, path: lockPath(dir) });
    if (first.ok) first.release();
    expect(existsSync(lockPath(dir))).toBe(false);
    const third = acquireStateDirLock(dir);
    expect(third.ok).toBe(true);
    if (third.ok) third.release();
  });

  it("a dead holder's leftover (kill -9, a crash) does not block the next start", () => {
    const dir = newDir();
    // A real process that has exited: its pid is free (or reused, with another start time).
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(lockPath(dir), JSON.stringify({ pid: Number(child.stdout), start: "1", boot: null }));
    const r = acquireStateDirLock(dir);
    expect(r.ok).toBe(true);
    expect(JSON.parse(readFileSync(lockPath(dir), "utf8")).pid).toBe(process.pid);
    if (r.ok) r.release();
  });

  it("a pid reused by another process, a lock from an earlier boot or a torn lock file is not a holder", () => {
    for (const leftover of [
      JSON.stringify({ pid: process.pid, start: "not-my-start-time", boot: null }),
      JSON.stringify({ pid: process.pid, start: null, boot: "an-earlier-boot" }),
      '{"pid": 12',
    ]) {
      const dir = newDir();
      writeFileSync(lockPath(dir), leftover);
      const r = acquireStateDirLock(dir);
      expect(r.ok, leftover).toBe(true);
      if (r.ok) r.release();
    }
  });

  it("release leaves a lock that is no longer its own", () => {
    const dir = newDir();
    const r = acquireStateDirLock(dir);
    if (!r.ok) throw new Error("not acquired");
    writeFileSync(lockPath(dir), JSON.stringify({ pid: 1, start: null, boot: null }));
    r.release();
    expect(existsSync(lockPath(dir))).toBe(true);
  });
});
