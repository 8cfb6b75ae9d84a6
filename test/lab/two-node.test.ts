// A two-node cluster keeps quorum with a witness. The node whose link goes down loses both its peer
// and its witness (the NATS cluster) within warntime, and must drop the VIP before its peer, which
// still reaches NATS, calls it dead and takes the VIP.
import { afterEach, describe, expect, it } from "vitest";
import { is } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";

const VIP = `${LAB_SUBNET}.80`;
const IP_RESOURCE = `IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0`;
let lab: Lab | undefined;

afterEach(async (ctx) => {
  const l = lab;
  lab = undefined;
  if (l && ctx.task.result?.state === "fail") console.error(`\n===== lab diagnostics =====\n${l.diagnostics()}\n`);
  await l?.destroy();
});

describe("a two-node cluster", () => {
  it("the node that loses its link stops its VIP before the peer (which keeps the NATS witness) starts it", { timeout: 90_000 }, async () => {
    const l = await createLab({ nodes: ["n1", "n2"], natsServers: 3, client: true });
    lab = l;
    l.writeConfigs({ haresources: `n1 group=vip ${IP_RESOURCE}\n`, extra: ["auto_failback on"] });
    for (const n of l.nodes) l.agents.start(n);
    const tail = l.tail();
    await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "vip started on n1");

    const cut = tail.events().at(-1)!.seq + 1;
    await l.faults.linkDown("n1");
    const started = await tail.waitFor((e) => is("ResourceStarted", { node: "n2" })(e) && e.seq >= cut, 20_000, "n2 took the VIP");
    // n1's own events reach the log from its outbox once its link is back.
    await l.faults.linkUp("n1");
    const stopped = await tail.waitFor((e) => is("ResourceStopped", { node: "n1" })(e) && e.resource === IP_RESOURCE, 20_000, "n1's stop of the VIP");
    expect(stopped.cause).toMatch(/quorum/);
    expect(Date.parse(stopped.time as string)).toBeLessThanOrEqual(Date.parse(started.time as string));
  });
});
