// heartbeat's hb_standby / hb_takeover as `vigil hb standby|takeover`, on a two-node loopback cluster
// (unicast heartbeats on 127.0.0.x, a file-based Dummy resource), and `vigil agents list|info`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestNats, type TestNats } from "../../services/agent/test-support/nats-server.js";

const VIGIL = join(import.meta.dirname, "../../services/cli/bin/vigil.js");
let nats: TestNats;
let dir: string;
const agents: ChildProcess[] = [];

const vigil = (args: string[]) => spawnSync(process.execPath, [VIGIL, ...args], { encoding: "utf8", timeout: 60_000 });
const natsArgs = () => ["--nats", nats.url, "--cluster", "hb"];

beforeAll(async () => {
  nats = await startTestNats();
  dir = mkdtempSync(join(tmpdir(), "vigil-hb-"));
  const [p1, p2] = [await freePort(), await freePort()];
  const addr = { n1: `127.0.0.1:${p1}`, n2: `127.0.0.2:${p2}` };
  for (const [node, other] of [["n1", "n2"], ["n2", "n1"]] as const) {
    const d = join(dir, node);
    mkdirSync(d);
    writeFileSync(
      join(d, "ha.cf"),
      [
        "keepalive 100ms",
        "warntime 300ms",
        "deadtime 600ms",
        "initdead 2",
        `bind ${addr[node]}`,
        `ucast lo ${addr[other]}`,
        "node n1 n2",
        "auto_failback on",
        "cluster hb",
        "",
      ].join("\n"),
    );
    writeFileSync(join(d, "authkeys"), "auth 1\n1 sha256 hb-secret\n");
    chmodSync(join(d, "authkeys"), 0o600);
    // Each node its own Dummy state file, so "runs on n1" is a file of n1's.
    writeFileSync(join(d, "haresources"), `n1 group=web Dummy::${join(dir, `web.${node}`)}\n`);
  }
  for (const node of ["n1", "n2"]) {
    const c = spawn(process.execPath, [VIGIL, "agent", "--config", join(dir, node), "--node", node, "--nats", nats.url, "--state-dir", join(dir, `st-${node}`)], {
      stdio: "ignore",
    });
    agents.push(c);
  }
});

afterAll(async () => {
  await Promise.all(
    agents.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null) return r();
          c.once("exit", () => r());
          c.kill("SIGTERM");
          setTimeout(() => c.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function groupNode(): string | null {
  const r = vigil(["status", "--json", ...natsArgs()]);
  if (r.status !== 0) return null;
  const g = (JSON.parse(r.stdout) as { groups: { id: string; node: string | null; state: string }[] }).groups.find((x) => x.id === "web");
  return g && g.state === "started" ? g.node : null;
}

async function waitGroupOn(node: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (groupNode() === node) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`web did not start on ${node} within ${ms} ms (now ${groupNode()})`);
}

describe("vigil hb standby|takeover", () => {
  it("hb standby moves n1's groups to n2; hb takeover brings them back; resource clear drops the preference", { timeout: 90_000 }, async () => {
    await waitGroupOn("n1");
    expect(existsSync(join(dir, "web.n1"))).toBe(true);

    const standby = vigil(["hb", "standby", "all", "--node", "n1", "--wait", ...natsArgs()]);
    expect(standby.status, standby.stderr).toBe(0);
    await waitGroupOn("n2");
    expect(existsSync(join(dir, "web.n1"))).toBe(false);
    expect(existsSync(join(dir, "web.n2"))).toBe(true);

    // `local` for n1: the groups preferred on n1 (web) move back to it.
    const takeover = vigil(["hb", "takeover", "local", "--node", "n1", "--wait", ...natsArgs()]);
    expect(takeover.status, takeover.stderr).toBe(0);
    await waitGroupOn("n1");

    const clear = vigil(["resource", "clear", "web", ...natsArgs()]);
    expect(clear.status, clear.stderr).toBe(0);
    const status = JSON.parse(vigil(["status", "--json", ...natsArgs()]).stdout) as { groups: { id: string; movedTo: string | null }[] };
    expect(status.groups.find((g) => g.id === "web")!.movedTo).toBeNull();
  });

  it("refuses a bad selection or a missing node, with the reason", () => {
    const bad = vigil(["hb", "standby", "some", "--node", "n1", ...natsArgs()]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not all, foreign or local/);
    const noNode = vigil(["hb", "takeover", ...natsArgs()]);
    expect(noNode.status).toBe(2);
    expect(noNode.stderr).toMatch(/--node NODE is required/);
    const unknown = vigil(["hb", "takeover", "all", "--node", "n9", ...natsArgs()]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/cannot hb takeover: no node "n9" in this cluster \(nodes: n1, n2\)/);
  });
});

describe("vigil agents", () => {
  it("lists the built-in agents and the installed OCF agents", () => {
    const r = vigil(["agents", "list", "--json"]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { builtIn: { name: string }[]; ocf: string[] };
    expect(j.builtIn.map((a) => a.name)).toEqual(expect.arrayContaining(["IPaddr", "Filesystem", "drbddisk", "exportfs", "killnfsd", "lvs", "Dummy"]));
    expect(j.ocf).toContain("ocf:heartbeat:IPaddr2");
  });

  it("shows an agent as text (parameters, defaults, timeouts), --xml as OCF meta-data, and refuses an unknown one", () => {
    const r = vigil(["agents", "info", "IPaddr"]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/<\?xml|<resource-agent/);
    expect(r.stdout).toMatch(/^IPaddr\n/);
    expect(r.stdout).toMatch(/haresources: IPaddr::ip/);
    expect(r.stdout).toMatch(/^ {2}ip\s+.*\(required\)$/m);
    expect(r.stdout).toMatch(/^Timeouts: start \d+m?s, stop \d+m?s, monitor \d+m?s every \d+m?s$/m);
    const ocfText = vigil(["agents", "info", "ocf:heartbeat:IPaddr2"]).stdout;
    expect(ocfText).toMatch(/haresources: ocf:heartbeat:IPaddr2::name=value/);
    expect(ocfText).toMatch(/^ {2}arp_count\s+.*\(optional, default 5\)$/m);
    const xml = vigil(["agents", "info", "IPaddr", "--xml"]);
    expect(xml.stdout).toMatch(/<resource-agent name="IPaddr"/);
    expect(xml.stdout).toMatch(/<parameter name="ip" required="1"/);
    const noSuch = vigil(["agents", "info", "ocf:heartbeat:NoSuch"]);
    expect(noSuch.status).toBe(1);
    expect(noSuch.stderr).not.toMatch(/spawnSync|ENOENT/);
    expect(noSuch.stderr).toMatch(/^vigil: no resource agent "ocf:heartbeat:NoSuch" \(looked in \/usr\/lib\/ocf\/resource.d\/heartbeat; \d+ agents there: vigil agents list\)$/);
    expect(vigil(["agents", "info", "ocf:heartbeat:dummy"]).stderr).toBe('vigil: no resource agent "ocf:heartbeat:dummy" (looked in /usr/lib/ocf/resource.d/heartbeat; did you mean ocf:heartbeat:Dummy?)\n');
    expect(vigil(["agents", "info", "ocf:nosuchprovider:X"]).stderr).toBe('vigil: no resource agent "ocf:nosuchprovider:X" (looked in /usr/lib/ocf/resource.d/nosuchprovider: no provider "nosuchprovider")\n');
    const ocf = vigil(["agents", "info", "ocf:heartbeat:Dummy", "--json"]);
    expect(JSON.parse(ocf.stdout).parameters.map((p: { name: string }) => p.name)).toContain("state");
    const none = vigil(["agents", "info", "NoSuchAgent"]);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe('vigil: no resource agent "NoSuchAgent" (not built in; looked in /etc/ha.d/resource.d, /etc/init.d)\n');
    expect(vigil(["agents", "info", "ipaddr"]).stderr).toMatch(/; did you mean IPaddr\?\)$/m);
  });
});
