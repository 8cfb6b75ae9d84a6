// heartbeat's hb_standby / hb_takeover as `vigil hb standby|takeover`, on a two-node loopback cluster
// (unicast heartbeats on 127.0.0.x, a file-based Dummy resource), and `vigil agents list|info`.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackCluster } from "./loopback-cluster.js";

let c: LoopbackCluster;
const vigil = (args: string[]) => c.vigil(args, { timeoutMs: 60_000 });

beforeAll(async () => {
  // Each node its own Dummy state file, so "runs on n1" is a file of n1's.
  c = await LoopbackCluster.create({ cluster: "hb", nodes: ["n1", "n2"], haresources: "n1 group=web Dummy::STATE(web)\n", extra: ["auto_failback on"] });
  for (const n of c.o.nodes) c.start(n);
});
afterAll(async () => {
  await c?.destroy();
});

function groupNode(): string | null {
  const r = vigil(["status", "--json"]);
  if (r.status !== 0) return null;
  const g = (JSON.parse(r.stdout) as { groups: { id: string; node: string | null; state: string }[] }).groups.find((x) => x.id === "web");
  return g && g.state === "started" ? g.node : null;
}

const waitGroupOn = (node: string) => c.until(`web started on ${node}`, () => groupNode() === node);

describe("vigil hb standby|takeover", () => {
  it("hb standby moves n1's groups to n2; hb takeover brings them back; resource clear drops the preference", { timeout: 90_000 }, async () => {
    await waitGroupOn("n1");
    expect(existsSync(c.dummyState("web", "n1"))).toBe(true);

    const standby = vigil(["hb", "standby", "all", "--node", "n1", "--wait"]);
    expect(standby.status, standby.stderr).toBe(0);
    await waitGroupOn("n2");
    expect(existsSync(c.dummyState("web", "n1"))).toBe(false);
    expect(existsSync(c.dummyState("web", "n2"))).toBe(true);

    // `local` for n1: the groups preferred on n1 (web) move back to it.
    const takeover = vigil(["hb", "takeover", "local", "--node", "n1", "--wait"]);
    expect(takeover.status, takeover.stderr).toBe(0);
    await waitGroupOn("n1");

    const clear = vigil(["resource", "clear", "web"]);
    expect(clear.status, clear.stderr).toBe(0);
    const status = JSON.parse(vigil(["status", "--json"]).stdout) as { groups: { id: string; movedTo: string | null }[] };
    expect(status.groups.find((g) => g.id === "web")!.movedTo).toBeNull();
  });

  it("refuses a bad selection or a missing node, with the reason", () => {
    const bad = vigil(["hb", "standby", "some", "--node", "n1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not all, foreign or local/);
    const noNode = vigil(["hb", "takeover"]);
    expect(noNode.status).toBe(2);
    expect(noNode.stderr).toMatch(/--node NODE is required/);
    const unknown = vigil(["hb", "takeover", "all", "--node", "n9"]);
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
    expect(noSuch.stderr).toMatch(/^vigil: no resource agent "ocf:heartbeat:NoSuch" \(looked in \/usr\/lib\/ocf\/resource.d\/heartbeat; \d+ agents there: vigil agents list\)\n$/);
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
