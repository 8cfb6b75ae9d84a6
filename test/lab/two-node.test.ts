// A two-node cluster keeps quorum with a witness. The node whose link goes down loses both its peer
// and its witness (the NATS cluster) within warntime, and must drop the VIP before its peer, which
// still reaches NATS, calls it dead and takes the VIP. Checked where it matters: the addresses
// actually configured in the two namespaces, sampled throughout the failover.
import { describe, expect, it } from "vitest";
import { is } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { tearDownLabAfterEach } from "./lab-teardown.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { must } from "./sh.js";

const VIP = `${LAB_SUBNET}.80`;
const IP_RESOURCE = `IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0`;
const keepLab = tearDownLabAfterEach();

async function holds(l: Lab, node: string): Promise<boolean> {
  const out = await must(["ip", "-j", "-n", l.host(node).ns, "-4", "addr", "show", "dev", "eth0"]);
  return (JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>).some((x) => (x.addr_info ?? []).some((a) => a.local === VIP));
}

describe("a two-node cluster", () => {
  it("the node that loses its link drops its VIP before the peer (which keeps the NATS witness) adds it", { timeout: 90_000 }, async () => {
    const l = await createLab({ nodes: ["n1", "n2"], natsServers: 3, client: true });
    keepLab(l);
    l.writeConfigs({ haresources: `n1 group=vip ${IP_RESOURCE}\n`, extra: ["auto_failback on"] });
    for (const n of l.nodes) l.agents.start(n);
    const tail = l.tail();
    await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "vip started on n1");
    expect(await holds(l, "n1")).toBe(true);

    await l.faults.linkDown("n1");
    // Sample both namespaces (bounded: 1500 rounds, 20 s) until n2 has held the VIP for 10 rounds.
    const samples: { n1: boolean; n2: boolean }[] = [];
    const until = Date.now() + 20_000;
    for (let i = 0, n2Rounds = 0; i < 1_500 && Date.now() < until && n2Rounds < 10; i++) {
      const [a, b] = await Promise.all([holds(l, "n1"), holds(l, "n2")]);
      samples.push({ n1: a, n2: b });
      n2Rounds = b ? n2Rounds + 1 : 0;
    }
    expect(samples.at(-1), "n2 took the VIP").toEqual({ n1: false, n2: true });
    expect(samples.some((s) => s.n1 && !s.n2), "n1 held it at first").toBe(true);
    expect(samples.filter((s) => s.n1 && s.n2), "never both at once").toEqual([]);

    // n1's own account reaches the log from its outbox once its link is back: it stopped for quorum.
    await l.faults.linkUp("n1");
    const stopped = await tail.waitFor((e) => is("ResourceStopped", { node: "n1" })(e) && e.resource === IP_RESOURCE, 20_000, "n1's stop of the VIP");
    expect(stopped.cause).toMatch(/quorum/);
  });
});
