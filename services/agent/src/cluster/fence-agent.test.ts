// The fence agent runner against Debian's own fence_dummy (fence-agents, installed by scripts/setup.sh):
// the stdin interface as a real fence_* agent reads it, its success and its failure as they are reported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FenceAgentSpec } from "@vigil/shared/config/schemas";
import { fenceAgent, fenceStdinAgent } from "./fence-agent.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-fence-agent-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const spec = (params: Record<string, string>, over: Partial<FenceAgentSpec> = {}): FenceAgentSpec => ({ agent: "fence_dummy", params, action: "off", hostArgument: "plug", hostMap: {}, ...over });

describe("fence agents", () => {
  it("a fence_* agent gets key=value lines on stdin; exit 0 is success", async () => {
    const status = join(dir, "dummy.status");
    writeFileSync(status, "on"); // fence_dummy's "machine", powered on
    const r = await fenceStdinAgent(spec({ status_file: status }))("n2");
    expect(r).toEqual({ ok: true, rc: 0, message: "Success: Powered OFF" });
    expect(readFileSync(status, "utf8")).toBe("off");
  });

  it("a failing agent's exit code and its own last words are the result", async () => {
    const r = await fenceStdinAgent(spec({ type: "fail", power_timeout: "1" }))("n2");
    expect(r.ok).toBe(false);
    expect(r.rc).toBe(1);
    expect(r.message).toMatch(/Failed: Timed out waiting to power OFF$/);
  });

  it("the lines a stdin agent reads: parameters, action, the victim's mapped plug", async () => {
    const agent = join(dir, "fence_record");
    writeFileSync(agent, `#!/bin/sh\ncat > ${join(dir, "stdin")}\n`);
    chmodSync(agent, 0o755);
    const r = await fenceStdinAgent(spec({ ipaddr: "203.0.113.9", login: "admin" }, { agent, action: "reboot", hostArgument: "port", hostMap: { n2: "7" } }))("n2");
    expect(r.ok).toBe(true);
    expect(readFileSync(join(dir, "stdin"), "utf8")).toBe("ipaddr=203.0.113.9\nlogin=admin\naction=reboot\nport=7\n");
  });

  it("an agent that is not installed fails with what to install", async () => {
    const r = await fenceStdinAgent(spec({}, { agent: "fence_nosuchagent" }))("n2");
    expect(r).toMatchObject({ ok: false, rc: 127 });
    expect(r.message).toMatch(/fence_nosuchagent not found .*fence-agents/);
  });

  it("today's form: the command with the victim's name appended", async () => {
    const r = await fenceAgent(["/bin/sh", "-c", 'echo "fenced $0"'])("n2");
    expect(r).toEqual({ ok: true, rc: 0, message: "fenced n2" });
  });
});
