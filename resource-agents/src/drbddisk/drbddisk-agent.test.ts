// drbddisk against the named stand-in `drbdadm` (test/stand-ins/drbdadm): this kernel has no DRBD.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDrbddisk, type DrbddiskOptions } from "./drbddisk-agent.js";

const STAND_INS = fileURLToPath(new URL("../../../test/stand-ins", import.meta.url));
const T = { timeoutMs: 20_000 };

describe("drbddisk with the stand-in drbdadm", () => {
  let state = "";
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), `vigil-drbd-${process.pid}-`));
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  const agent = (node: string, res = "r0", o: DrbddiskOptions = {}) =>
    createDrbddisk(
      { id: `drbddisk::${res}`, agent: "drbddisk", args: [res] },
      { path: [STAND_INS], env: { ...process.env, DRBD_STANDIN_DIR: state, DRBD_STANDIN_NODE: node }, retryDelayMs: 20, ...o },
    );

  it("makes the node Primary on start and Secondary on stop, both idempotent", async () => {
    const n1 = agent("n1");
    expect((await n1.monitor(T)).rc).toBe(7);
    expect(await n1.start(T)).toMatchObject({ rc: 0, message: "r0 is Primary" });
    expect(await n1.start(T)).toMatchObject({ rc: 0, message: expect.stringContaining("already Primary") });
    expect((await n1.monitor(T)).rc).toBe(0);
    expect((await n1.stop(T)).rc).toBe(0);
    expect((await n1.stop(T)).rc).toBe(0);
    expect((await n1.monitor(T)).rc).toBe(7);
  });

  it("never becomes a second Primary: start fails after its retries while the peer holds it", async () => {
    const n1 = agent("n1");
    const n2 = agent("n2", "r0", { startTries: 3 });
    expect((await n1.start(T)).rc).toBe(0);
    const refused = await n2.start(T);
    expect(refused.rc).toBe(1);
    expect(refused.message).toContain("Multiple primaries not allowed");
    expect((await n2.monitor(T)).rc).toBe(7);
    expect((await n1.stop(T)).rc).toBe(0);
    expect((await n2.start(T)).rc).toBe(0);
    expect((await n1.monitor(T)).rc).toBe(7);
  });

  it("retries primary until the peer's refusal clears, within its tries", async () => {
    const n1 = agent("n1", "r0", { startTries: 6 });
    await agent("n1").stop(T); // creates the resource's state directory
    writeFileSync(join(state, "r0", "fail-next-primary"), "2\n");
    expect(await n1.start(T)).toMatchObject({ rc: 0, message: "r0 is Primary (attempt 3)" });
  });

  it("reads DRBD 8's local/peer role format the same way", async () => {
    const n1 = agent("n1", "r1", { env: { ...process.env, DRBD_STANDIN_DIR: state, DRBD_STANDIN_NODE: "n1", DRBD_STANDIN_FORMAT: "8" } });
    expect((await n1.start(T)).rc).toBe(0);
    expect((await n1.monitor(T)).rc).toBe(0);
  });

  it("treats a resource that is down as not Primary", async () => {
    const n1 = agent("n1");
    await n1.stop(T);
    writeFileSync(join(state, "r0", "n1"), "Unconfigured\n");
    expect(await n1.monitor(T)).toMatchObject({ rc: 7, message: expect.stringContaining("down") });
    expect((await n1.stop(T)).rc).toBe(0);
  });

  it("reports a missing drbdadm as not installed", async () => {
    const n1 = createDrbddisk({ id: "drbddisk::r0", agent: "drbddisk", args: ["r0"] }, { env: { PATH: state } });
    expect((await n1.monitor(T)).rc).toBe(5);
    expect((await n1.start(T)).rc).toBe(5);
  });

  it("rejects a missing, `all` or malformed resource name, naming it", () => {
    const v = (args: string[]) => createDrbddisk({ id: "drbddisk", agent: "drbddisk", args }).validate();
    expect(v([])).toMatchObject({ rc: 2, message: expect.stringContaining("resource") });
    expect(v(["all"])).toMatchObject({ rc: 2, message: expect.stringContaining("resource") });
    expect(v(["r0; rm"])).toMatchObject({ rc: 2, message: expect.stringContaining("resource") });
    expect(v(["r0", "x"])).toMatchObject({ rc: 2, message: expect.stringContaining("argument 2") });
    expect(v(["r0"]).rc).toBe(0);
  });
});
