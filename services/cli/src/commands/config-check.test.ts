import { existsSync } from "node:fs";
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { configCheck } from "./config-check.js";

const LAB3 = fileURLToPath(new URL("../../../../examples/lab3/", import.meta.url));
const LOOPBACK = fileURLToPath(new URL("../../../../examples/loopback/", import.meta.url));
// Real operators' heartbeat files (typos included), read-only, in the shared folder beside the
// repository (or above a worktree of it).
const FIXTURES = (() => {
  for (let d = fileURLToPath(new URL(".", import.meta.url)); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "shared/fixtures/heartbeat/ha.cf"))) return join(d, "shared/fixtures/heartbeat");
  }
  return null;
})();
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

  it("checks every resource's arguments as the agent does, each as file:line: resource: problem", async () => {
    const d = await lab3Copy({
      file: "haresources",
      text: "n1 group=fs Filesystem::/dev/nosuch\nn1 group=web ipaddr::198.51.100.9\nn1 group=lb lvs::vigil-no-such-service\n",
    });
    const r = await run(d);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `${d}/haresources:1: Filesystem::/dev/nosuch: directory: is required`,
      `${d}/haresources:2: ipaddr::198.51.100.9: no agent "ipaddr" (did you mean IPaddr?)`,
      `${d}/haresources:3: lvs::vigil-no-such-service: service file /etc/vigil/lvs/vigil-no-such-service.conf: missing`,
    ]);
  });

  it("reports every problem in one run: line errors in each file and the resources of the lines that parsed", async () => {
    const d = await lab3Copy({
      file: "haresources",
      text: "n1 group=fs Filesystem::/dev/nosuch\nn1 group=bad group=twice Dummy::x\nn1 group=web IPaddr::999.1.1.1\nn9 group=db Dummy::db\n",
    });
    await writeFile(join(d, "ha.cf"), `${await readFile(join(d, "ha.cf"), "utf8")}auto_failbackon\n`);
    await writeFile(join(d, "authkeys"), `${await readFile(join(d, "authkeys"), "utf8")}auth 2\n`);
    const lastHaCfLine = (await readFile(join(d, "ha.cf"), "utf8")).trimEnd().split("\n").length;
    const authLines = (await readFile(join(d, "authkeys"), "utf8")).trimEnd().split("\n");
    const firstAuth = authLines.findIndex((l) => l.startsWith("auth ")) + 1;
    const r = await run(d);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    // main stopped at the line errors: the resources of lines 1 and 3 were never checked.
    expect(r.err).toEqual([
      `${d}/ha.cf:${lastHaCfLine}: unknown directive "auto_failbackon"`,
      `${d}/authkeys:${authLines.length}: auth is already set on line ${firstAuth}`,
      `${d}/haresources:1: Filesystem::/dev/nosuch: directory: is required`,
      `${d}/haresources:2: "group=twice" must come right after the node`,
      `${d}/haresources:3: IPaddr::999.1.1.1: ip ("999.1.1.1"): must be a dotted IPv4 address`,
      `${d}/haresources:4: node "n9" is not listed in any node directive of ha.cf`,
    ]);
  });

  it("refuses a broken lvs service file, naming its line", async () => {
    const lvs = join(await mkdtemp(join(tmpdir(), "vigil-lvs-")), "web.conf");
    dirs.push(join(lvs, ".."));
    await writeFile(lvs, "virtual_server 198.51.100.80 80 {\n  lb_algo nosuch\n}\n");
    const d = await lab3Copy({ file: "haresources", text: `n1 group=lb lvs::${lvs}\n` });
    const r = await run(d);
    expect(r.code).toBe(2);
    expect(r.err.join("\n")).toMatch(new RegExp(`^${d}/haresources:1: lvs::${lvs}: ${lvs}:2: `));
  });

  it("host checks: a warning without --node, an error with it, marked as host checks", async () => {
    const d = await lab3Copy({
      file: "haresources",
      text: "n1 group=a bogusagent::a\nn1 group=b IPaddr::198.51.100.10/24/vigil-nonic\nn1 group=c Filesystem::/dev/vigil-nosuch::/mnt/x::ext4\nn1 group=d ocf:heartbeat:NoSuch::x=1\n",
    });
    const free = await run(d);
    expect(free.code).toBe(0);
    expect(free.out).toMatch(/warning: .*haresources:1: host check: bogusagent::a: no agent "bogusagent": not built in/);
    // Each warning says once where it was checked (main: "does not exist on this host (on this host; …)").
    const nic = free.out.split("\n").find((l) => l.startsWith("warning:") && l.includes("vigil-nonic"))!;
    expect(nic).toBe(
      `warning: ${d}/haresources:2: host check: IPaddr::198.51.100.10/24/vigil-nonic: network interface vigil-nonic does not exist on this host (a warning without --node: run with --node NAME on that node to make it an error)`,
    );
    for (const l of free.out.split("\n").filter((x) => x.startsWith("warning:"))) expect(l.match(/on this host/g)?.length ?? 0).toBeLessThanOrEqual(1);
    const bound = await run(d, { node: "n1" });
    expect(bound.code).toBe(2);
    expect(bound.err).toEqual([
      expect.stringMatching(new RegExp(`^${d}/haresources:1: host check: bogusagent::a: no agent "bogusagent": not built in .*no executable script in /etc/ha.d/resource.d, /etc/init.d$`)),
      `${d}/haresources:2: host check: IPaddr::198.51.100.10/24/vigil-nonic: network interface vigil-nonic does not exist on this host`,
      `${d}/haresources:3: host check: Filesystem::/dev/vigil-nosuch::/mnt/x::ext4: device /dev/vigil-nosuch does not exist on this host`,
      expect.stringMatching(/^.*haresources:4: host check: ocf:heartbeat:NoSuch::x=1: .*NoSuch is not installed/),
    ]);
    // The agent's own message is not repeated after the resource id.
    expect(bound.err[0]!.match(/bogusagent::a/g)).toHaveLength(1);
  });

  it("warns, exit 0, about two nodes with neither a tie-breaker nor a fence agent (a ping node is no tie-breaker), a tie-breaker on ≠2 nodes, and about logfile/debugfile", async () => {
    const d = await lab3Copy({
      file: "ha.cf",
      text: "logfile /var/log/ha-log\ndebugfile /var/log/ha-debug\nkeepalive 2\ndeadtime 30\nmcast eth0 239.0.0.42 694 1 0\nnode n1\nnode n2\n",
    });
    const r = await run(d);
    expect(r.code).toBe(0);
    const warnings = r.out.split("\n").filter((l) => l.startsWith("warning: "));
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^warning: ${d}/ha.cf:7: two nodes with neither a tie-breaker nor a fence agent: .*\\(add \`tiebreaker nats\` .*or \`fence COMMAND\`\\)$`)),
      `warning: ${d}/ha.cf:1: logfile /var/log/ha-log: not honoured: the agent logs pino JSON to stderr (redirect it, or let systemd's journal keep it)`,
      `warning: ${d}/ha.cf:2: debugfile /var/log/ha-debug: not honoured: the agent logs pino JSON to stderr (redirect it, or let systemd's journal keep it)`,
    ]);
    const bad = await run(await lab3Copy({ file: "haresources", text: "n1 Filesystem::/dev/nosuch\n" }), { json: true });
    expect(bad.code).toBe(2);
    expect(bad.out).toBe("");
    expect(JSON.parse(bad.err[0]!)).toMatchObject({ ok: false, errors: [expect.stringMatching(/haresources:1: Filesystem::\/dev\/nosuch: directory: is required/)] });
    const withFence = await lab3Copy({ file: "ha.cf", text: "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2\nfence /bin/true\n" });
    expect((await run(withFence)).out).not.toMatch(/warning/);
    // A ping node is reachability, not a tie-breaker: it does not silence the warning; the lease does.
    const withPing = await lab3Copy({ file: "ha.cf", text: "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2\nping 198.51.100.1\n" });
    expect((await run(withPing)).out).toMatch(/warning: .*ha\.cf:2: two nodes with neither a tie-breaker nor a fence agent/);
    const withLease = await lab3Copy({ file: "ha.cf", text: "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2\ntiebreaker nats\n" });
    expect((await run(withLease)).out).not.toMatch(/warning/);
    const threeNodes = await lab3Copy({ file: "ha.cf", text: "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2 n3\ntiebreaker nats\n" });
    const three = await run(threeNodes);
    expect(three.code).toBe(0);
    expect(three.out).toMatch(/warning: .*ha\.cf:3: tiebreaker nats: ignored: a tie-breaker is for two-node clusters \(this one has 3/);
    const badValue = await run(await lab3Copy({ file: "ha.cf", text: "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2\ntiebreaker ping\n" }));
    expect(badValue.code).toBe(2);
    expect(badValue.err).toEqual([expect.stringMatching(/ha\.cf:3: tiebreaker: "ping" is not a tie-breaker/)]);
    const json = JSON.parse((await run(d, { json: true })).out);
    expect(json.warnings).toHaveLength(3);
  });

  it("two nodes with a fence_* agent in either syntax: no fencing warning; summarized, its password never printed", async () => {
    const two = "mcast eth0 239.0.0.42 694 1 0\nnode n1 n2\n";
    for (const line of [
      "fence_agent fence_ipmilan ipaddr=203.0.113.9 login=admin passwd=s3cret lanplus=1 action=off pcmk_host_map=n1:bmc-n1;n2:bmc-n2",
      "fence fence_ipmilan ipaddr=203.0.113.9 login=admin passwd=s3cret lanplus=1 action=off pcmk_host_map=n1:bmc-n1;n2:bmc-n2",
    ]) {
      const d = await lab3Copy({ file: "ha.cf", text: `${two}${line}\n` });
      const r = await run(d);
      expect(r.code, r.err.join("\n")).toBe(0);
      expect(r.out).not.toMatch(/warning/);
      expect(r.out).toContain(
        "fence     fence_ipmilan (fence agent, key=value on stdin): action=off, plug=per pcmk_host_map n1:bmc-n1;n2:bmc-n2, else the node name; ipaddr=203.0.113.9 login=admin passwd=<redacted> lanplus=1",
      );
      const json = await run(d, { json: true });
      expect(json.out).not.toContain("s3cret");
      expect(JSON.parse(json.out).haCf.fenceAgent).toMatchObject({ agent: "fence_ipmilan", params: { passwd: "<redacted>" } });
    }
    // Not installed on this host: a warning at its line (the files may be checked elsewhere).
    const missing = await run(await lab3Copy({ file: "ha.cf", text: `${two}fence_agent fence_nosuchagent\n` }));
    expect(missing.code).toBe(0);
    expect(missing.out).toMatch(/warning: .*ha.cf:3: fence agent fence_nosuchagent is not installed on this host/);
    expect(missing.out).not.toMatch(/two nodes with no fence agent/);
    // A syntax error is an error, file:line.
    const bad = await run(await lab3Copy({ file: "ha.cf", text: `${two}fence_agent fence_ipmilan plug=n2\n` }));
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([expect.stringMatching(/ha.cf:3: fence_agent: plug= is set by Vigil to the victim's node name/)]);
  });

  it.skipIf(FIXTURES === null)("operators' own files: every typo refused; with the spaces put back, valid with warnings", async () => {
    const d = await mkdtemp(join(tmpdir(), `vigil-fixture-${process.pid}-`));
    dirs.push(d);
    await cp(FIXTURES!, d, { recursive: true });
    await chmod(join(d, "authkeys"), 0o600);
    const raw = await run(d);
    expect(raw.code).toBe(2);
    expect(raw.err).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/ha\.cf:1: .*debugfile/),
        expect.stringMatching(/ha\.cf:2: .*logfile/),
        expect.stringMatching(/ha\.cf:\d+: mcast: device and group ran together in "eth2225\.0\.0\.219"/),
        expect.stringMatching(/ha\.cf:\d+: unknown directive "auto_failbackon"/),
      ]),
    );
    const fix = (t: string) =>
      t.replace("debugfile/var", "debugfile /var").replace("logfile/var", "logfile /var").replace("eth2225.", "eth2 225.").replace("auto_failbackon", "auto_failback on").replace("Rserver-1IPaddr", "Rserver-1 IPaddr");
    for (const f of ["ha.cf", "haresources"]) await writeFile(join(d, f), fix(await readFile(join(d, f), "utf8")));
    const fixed = await run(d);
    expect(fixed.err).toEqual([]);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/warning: .*ha\.cf:\d+: two nodes with neither a tie-breaker nor a fence agent/);
    expect(fixed.out).toMatch(/warning: .*ha\.cf:2: logfile \/var\/log\/ha-log: not honoured/);
    expect(fixed.out).toMatch(/warning: .*ha\.cf:1: debugfile \/var\/log\/ha-debug: not honoured/);
  });

  it("examples/loopback: three valid nodes whose resources name no shared path (each Dummy under its agent's state dir)", async () => {
    const args: string[] = [];
    for (const node of ["n1", "n2", "n3"]) {
      const d = await mkdtemp(join(tmpdir(), `vigil-loopback-${process.pid}-`));
      dirs.push(d);
      await cp(join(LOOPBACK, node), d, { recursive: true });
      await chmod(join(d, "authkeys"), 0o600);
      const r = await run(d, { node, json: true });
      expect(r.code, r.err.join("\n")).toBe(0);
      const cfg = JSON.parse(r.out) as { groups: { resources: { agent: string; args: string[] }[] }[] };
      for (const res of cfg.groups.flatMap((g) => g.resources)) args.push(...res.args);
    }
    expect(args.length).toBeGreaterThan(0);
    expect(args.filter((a) => /(^|=)\//.test(a))).toEqual([]);
  });
});

