import { chmod, cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { configCheck } from "./config-check.js";

const LAB3 = fileURLToPath(new URL("../../../../examples/lab3/", import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of examples/lab3 with authkeys at 0600 (git does not keep the mode), optionally edited. */
async function lab3Copy(edit?: { file: string; text: string }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `vigil-check-${process.pid}-`));
  dirs.push(d);
  await cp(LAB3, d, { recursive: true });
  if (edit) await writeFile(join(d, edit.file), edit.text);
  await chmod(join(d, "authkeys"), 0o600);
  return d;
}

async function run(dir: string, opts: { node?: string; json?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await configCheck(dir, { ...opts, out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err };
}

describe("vigil config check", () => {
  it("exits 0 with a summary of nodes, media, timing and groups for a valid directory", async () => {
    const d = await lab3Copy();
    const r = await run(d, { node: "n2" });
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toContain(`${d}: configuration is valid`);
    expect(r.out).toContain("cluster   lab3");
    expect(r.out).toContain("nodes     n1, n2, n3");
    expect(r.out).toContain("mcast eth0 239.0.0.42:694 ttl 1");
    expect(r.out).toContain("keepalive 50ms, warntime 100ms, deadtime 200ms, initdead 2s (the fast profile)");
    expect(r.out).toContain("auth      sha256 (key 1)");
    expect(r.out).toContain("IPaddr::198.51.100.100/24/eth0  (preferred n1): IPaddr::198.51.100.100/24/eth0");
    expect(r.out).not.toContain("lab3-example-key");
  });

  it("exits 2 with one file:line line per problem on stderr", async () => {
    const d = await lab3Copy({ file: "ha.cf", text: "node n1 n2\nmcast eth0239.0.0.1 694 1 0\nauto_failbackon\n" });
    const r = await run(d);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toEqual([
      `${d}/ha.cf:2: mcast: device and group ran together in "eth0239.0.0.1" (did you mean "mcast eth0 239.0.0.1 694 1 0"?)`,
      `${d}/ha.cf:3: unknown directive "auto_failbackon"`,
    ]);
  });

  it("checks that --node is listed", async () => {
    const d = await lab3Copy();
    const r = await run(d, { node: "n9" });
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`${d}/ha.cf:15: local node "n9" is not listed in any node directive`]);
  });

  it("prints the parsed config as JSON with the keys redacted", async () => {
    const d = await lab3Copy();
    const r = await run(d, { json: true });
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.out);
    expect(parsed.haCf.nodes).toEqual(["n1", "n2", "n3"]);
    expect(parsed.groups[0].resources[0]).toEqual({ id: "IPaddr::198.51.100.100/24/eth0", agent: "IPaddr", args: ["198.51.100.100/24/eth0"] });
    expect(parsed.authKeys).toEqual({ active: 1, method: "sha256", key: "<redacted>", keys: { "1": { method: "sha256", key: "<redacted>" } } });
  });

  it("exits 2 for a directory that does not exist", async () => {
    const r = await run("/nonexistent-vigil-config");
    expect(r.code).toBe(2);
    expect(r.err).toContain("/nonexistent-vigil-config/ha.cf: missing");
  });
});
