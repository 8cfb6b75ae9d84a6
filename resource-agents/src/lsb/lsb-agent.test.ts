// Scripts written by the test into a temporary search path: a heartbeat resource.d script and an LSB
// init script, each keeping its state in a file so the test can see what ran.
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { findScript, ScriptResource, type ScriptSearchPath } from "./lsb-agent.js";
import { heartbeatStatusRunning, lsbStatusToOcf } from "./status-reading.js";

const T = { timeoutMs: 5_000 };
let dir: string;
let search: ScriptSearchPath;

async function script(path: string, body: string[]): Promise<void> {
  await writeFile(path, ["#!/bin/sh", ...body, ""].join("\n"));
  await chmod(path, 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `vigil-lsb-${process.pid}-`));
  search = { resourceDirs: [join(dir, "resource.d")], initDirs: [join(dir, "init.d")] };
  await mkdir(join(dir, "resource.d"));
  await mkdir(join(dir, "init.d"));
  // heartbeat style: arguments before the action; status prints "running"/"stopped", exit code meaningless.
  await script(join(dir, "resource.d", "svc"), [
    `STATE=${dir}/svc-$1.state; LOG=${dir}/svc.log`,
    'echo "$*" >> "$LOG"',
    'case "$2" in',
    '  start) touch "$STATE";;',
    '  stop) rm -f "$STATE";;',
    '  status) if [ -f "$STATE" ]; then echo "svc $1 is running"; else echo "svc $1 is stopped"; fi; exit 0;;',
    "esac",
  ]);
  // LSB style: status by exit code (0 running, 3 not running); stop of a stopped service complains.
  await script(join(dir, "init.d", "daemon"), [
    `STATE=${dir}/daemon.state`,
    'case "$1" in',
    '  start) touch "$STATE"; exit 0;;',
    '  stop) [ -f "$STATE" ] || { echo "not running" >&2; exit 1; }; rm -f "$STATE"; exit 0;;',
    '  status) [ -f "$STATE" ] && exit 0; exit 3;;',
    "  *) exit 2;;",
    "esac",
  ]);
  await script(join(dir, "init.d", "svc"), ["exit 0"]); // shadowed by resource.d/svc
  await script(join(dir, "init.d", "broken"), ['case "$1" in start) exit 6;; status) exit 4;; esac; exit 1']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const present = (p: string) => stat(p).then(() => true, () => false);

describe("script lookup", () => {
  it("finds resource.d before init.d, as heartbeat does", () => {
    expect(findScript("svc", search)).toEqual({ kind: "heartbeat", path: join(dir, "resource.d", "svc") });
    expect(findScript("daemon", search)).toEqual({ kind: "lsb", path: join(dir, "init.d", "daemon") });
    expect(findScript("absent", search)).toBeUndefined();
    expect(findScript("../init.d/daemon", search)).toBeUndefined();
  });
});

describe("heartbeat resource.d script", () => {
  it("passes its arguments before the action and reads status from the output", async () => {
    const r = new ScriptResource("svc::web", "svc", ["web"], findScript("svc", search)!);
    expect(r.validate().rc).toBe(OCF.SUCCESS);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(join(dir, "svc-web.state"))).toBe(true);
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
    // heartbeat starts only what status says is stopped: a second start runs status, not start.
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    const log = (await readFile(join(dir, "svc.log"), "utf8")).trim().split("\n");
    expect(log.filter((l) => l === "web start")).toHaveLength(1);
    expect(log).toContain("web stop");
  });
});

describe("LSB init script", () => {
  it("start, status by exit code, stop; twice each succeeds", async () => {
    const r = new ScriptResource("daemon", "daemon", [], findScript("daemon", search)!);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    // The script complains (rc 1) about stopping a stopped service; status says stopped, so it is success.
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(join(dir, "daemon.state"))).toBe(false);
  });

  it("maps LSB failure codes to OCF", async () => {
    const r = new ScriptResource("broken", "broken", [], findScript("broken", search)!);
    expect((await r.start(T)).rc).toBe(OCF.ERR_CONFIGURED);
    expect((await r.monitor(T)).rc).toBe(OCF.ERR_GENERIC);
  });

  it("refuses arguments for an init script, naming the argument", () => {
    const r = new ScriptResource("daemon::x", "daemon", ["x"], findScript("daemon", search)!);
    expect(r.validate()).toMatchObject({ rc: OCF.ERR_ARGS, message: expect.stringContaining('daemon: argument 1 ("x")') });
  });
});

describe("status reading", () => {
  it("follows heartbeat's OK/running rule, except that 'not running' is stopped", () => {
    expect(heartbeatStatusRunning("httpd (pid 42) is running...")).toBe(true);
    expect(heartbeatStatusRunning("OK")).toBe(true);
    expect(heartbeatStatusRunning("stopped")).toBe(false);
    expect(heartbeatStatusRunning("httpd is not running")).toBe(false);
    expect(heartbeatStatusRunning("LOOKING")).toBe(false);
  });

  it("reads LSB status exit codes", () => {
    expect([0, 1, 2, 3, 4, 150].map(lsbStatusToOcf)).toEqual([0, 7, 7, 7, 1, 1]);
  });
});
