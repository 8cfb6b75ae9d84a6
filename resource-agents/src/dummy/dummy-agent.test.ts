import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { DummyResource } from "./dummy-agent.js";

const T = { timeoutMs: 5_000 };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), `vigil-dummy-${process.pid}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const present = (p: string) => stat(p).then(() => true, () => false);

describe("Dummy", () => {
  it("start creates the state file under the state dir, monitor sees it, stop removes it", async () => {
    const r = new DummyResource("Dummy::web", ["web"], dir);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(join(dir, "web"))).toBe(true);
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(join(dir, "web"))).toBe(false);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
  });

  it("start twice and stop twice succeed", async () => {
    const r = new DummyResource("d", [join(dir, "sub", "abs.state")]);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
  });

  it("a .fail-monitor file makes monitor fail with the rc it holds, and removing it heals", async () => {
    const r = new DummyResource("d", ["db"], dir);
    await r.start(T);
    await writeFile(join(dir, "db.fail-monitor"), "");
    expect((await r.monitor(T)).rc).toBe(OCF.ERR_GENERIC);
    await writeFile(join(dir, "db.fail-monitor"), "7\n");
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    await rm(join(dir, "db.fail-monitor"));
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
  });

  it("a .fail-stop file makes stop fail and leaves the resource running", async () => {
    const r = new DummyResource("d", ["db"], dir);
    await r.start(T);
    await writeFile(join(dir, "db.fail-stop"), "");
    const res = await r.stop(T);
    expect(res.rc).toBe(OCF.ERR_GENERIC);
    expect(res.message).toContain("db.fail-stop");
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
  });

  it("a .hang-start file makes start hang until its timeout", async () => {
    const r = new DummyResource("d", ["slow"], dir);
    await writeFile(join(dir, "slow.hang-start"), "");
    const t0 = performance.now();
    const res = await r.start({ timeoutMs: 150 });
    const took = performance.now() - t0;
    expect(res.rc).toBe(OCF.ERR_GENERIC);
    expect(res.message).toContain("timed out");
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(3_000);
    expect(await present(join(dir, "slow"))).toBe(false);
  });

  it("a hung action ends when the caller aborts it", async () => {
    const r = new DummyResource("d", ["slow"], dir);
    await writeFile(join(dir, "slow.hang-stop"), "");
    const ac = new AbortController();
    const pending = r.stop({ timeoutMs: 60_000, signal: ac.signal });
    ac.abort();
    expect(await pending).toMatchObject({ rc: OCF.ERR_GENERIC, message: expect.stringContaining("aborted") });
  });

  it.each([[[]], [["../escape"]], [["a b"]], [["x", "y"]]])("refuses %j with ERR_ARGS naming the argument", (args) => {
    const v = new DummyResource("d", args, dir).validate();
    expect(v.rc).toBe(OCF.ERR_ARGS);
    expect(v.message).toMatch(/^Dummy: (state|argument 2)/);
  });
});
