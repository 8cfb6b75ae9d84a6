// The agent refuses at start what `vigil config check DIR --node NAME` refuses, with the same
// `file:line: …` lines (one check, resource-agents/src/check-resources.ts), before it records anything.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const VIGIL = join(import.meta.dirname, "../../services/cli/bin/vigil.js");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vigil-rescheck-"));
  const cfg = join(dir, "cfg");
  mkdirSync(cfg);
  writeFileSync(join(cfg, "ha.cf"), ["keepalive 100ms", "deadtime 1", "bind 127.0.0.1:7999", "ucast lo 127.0.0.2:7999", "node n1 n2", "fence /bin/true", ""].join("\n"));
  writeFileSync(join(cfg, "authkeys"), "auth 1\n1 sha256 rescheck-secret\n");
  chmodSync(join(cfg, "authkeys"), 0o600);
  writeFileSync(join(cfg, "haresources"), "n1 group=a bogusagent::a\nn1 group=b Filesystem::/dev/nosuch\nn2 group=c Dummy::c\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("vigil agent and vigil config check run one resource check", () => {
  it("both refuse with the same file:line lines, and the agent records nothing", () => {
    const cfg = join(dir, "cfg");
    const check = spawnSync(process.execPath, [VIGIL, "config", "check", cfg, "--node", "n1"], { encoding: "utf8", timeout: 20_000 });
    const agent = spawnSync(process.execPath, [VIGIL, "agent", "--config", cfg, "--node", "n1", "--nats", "nats://127.0.0.1:1", "--state-dir", join(dir, "st")], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(check.status).toBe(2);
    expect(agent.status).toBe(2);
    const lines = (s: string) => s.trim().split("\n").filter((l) => l.startsWith(`${cfg}/`));
    expect(lines(agent.stderr)).toEqual(lines(check.stderr));
    expect(lines(check.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^${cfg}/haresources:1: host check: bogusagent::a: no agent "bogusagent": not built in`)),
      `${cfg}/haresources:2: Filesystem::/dev/nosuch: directory: is required`,
    ]);
    // Refused before its state dir (outbox, generation) was made: nothing to publish later either.
    expect(existsSync(join(dir, "st"))).toBe(false);
  });
});
