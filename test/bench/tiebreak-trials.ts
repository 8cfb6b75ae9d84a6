// Two nodes with `tiebreaker nats`, for `npm run bench`:
// - takeover: the heartbeat path is cut (both still reach the arbiter), n1 holds the lease and the VIP;
//   then n1's link goes down and its agent is kill -9'd. Measured: from the kill to the VIP added in
//   n2's namespace (n2 waits for the lease to expire on the server, then deadtime after regaining quorum).
// - arbiter election (three NATS servers): during such a split, the server leading the lease bucket's
//   Raft group is killed. Measured: how long no node holds the VIP (the holder cannot renew while the
//   bucket elects; once its lease lapses it stops, and nobody can take the lease until a leader is back).
// Each trial builds its own lab (a clean lease and log), so trials are independent and slow (~15 s).
import { randomBytes } from "node:crypto";
import type { LabTiming } from "../lab/config-files.js";
import { is } from "../lab/event-tail.js";
import { HolderMonitor } from "../lab/holder-monitor.js";
import { createLab, type Lab } from "../lab/lab.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "../lab/netns.js";

const VIP = `${LAB_SUBNET}.82`;

async function twoNodeLab(natsServers: 1 | 3, timing: LabTiming): Promise<{ l: Lab; monitor: HolderMonitor; tail: ReturnType<Lab["tail"]> }> {
  const l = await createLab({ nodes: ["n1", "n2"], natsServers, client: true, timing });
  try {
    l.writeConfigs({ haresources: `n1 group=vip IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0\n`, extra: ["auto_failback on", "tiebreaker nats"], key: randomBytes(24).toString("hex") });
    const monitor = HolderMonitor.forLab(l, VIP);
    await monitor.start((p) => l.track(p));
    for (const n of l.nodes) l.agents.start(n);
    const tail = l.tail();
    await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "vip on n1");
    await waitUntil(() => monitor.holders().join() === "n1", 5_000, "the VIP in n1's namespace");
    await Promise.all([l.faults.dropUdpPort("n1", ["n2"], l.mcast.port), l.faults.dropUdpPort("n2", ["n1"], l.mcast.port)]);
    await tail.waitFor(is("TiebreakerLost", { node: "n2" }), 20_000, "n2 lost the lease");
    return { l, monitor, tail };
  } catch (e) {
    await l.destroy().catch(() => {});
    throw e;
  }
}

async function waitUntil(f: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`bench: no ${what} within ${ms} ms`);
}

/** ms from kill -9 of the lease holder (link down) to the VIP in n2's namespace, one per trial. */
export async function tiebreakTakeoverTrials(o: { trials: number; timing: LabTiming; progress: (s: string) => void }): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < o.trials; i++) {
    const { l, monitor } = await twoNodeLab(1, o.timing);
    try {
      await l.faults.linkDown("n1");
      const killedAt = Date.now();
      await l.agents.kill9("n1");
      await waitUntil(() => monitor.changes.some((c) => c.node === "n2" && c.held), 30_000, "VIP on n2");
      const t = monitor.changes.find((c) => c.node === "n2" && c.held)!.at - killedAt;
      out.push(t);
      o.progress(`  tie-breaker takeover ${i + 1}/${o.trials}: ${t} ms`);
    } finally {
      await l.destroy();
    }
  }
  return out;
}

/** ms without any holder of the VIP after the lease bucket's leader is killed during a split (3 servers). */
export async function arbiterElectionTrials(o: { trials: number; timing: LabTiming; cluster: string; progress: (s: string) => void }): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < o.trials; i++) {
    const { l, monitor } = await twoNodeLab(3, o.timing);
    try {
      const leader = await l.nats.streamLeader(`KV_vigil_${o.cluster}_tiebreak`);
      if (leader === undefined) throw new Error("bench: no leader for the tie-breaker bucket");
      const from = monitor.changes.length;
      const killedAt = Date.now();
      await l.nats.kill(leader);
      // Bounded: 30 s for the VIP to be lost and held again (or never lost: 0).
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        const later = monitor.changes.slice(from);
        const drop = later.find((c) => !c.held);
        if (!drop && Date.now() - killedAt > 15_000) break;
        const back = drop && later.find((c) => c.held && c.at >= drop.at);
        if (back) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const later = monitor.changes.slice(from);
      const drop = later.find((c) => !c.held);
      const back = drop && later.find((c) => c.held && c.at >= drop.at);
      const gap = !drop ? 0 : back ? back.at - drop.at : Infinity;
      out.push(gap);
      o.progress(`  arbiter election ${i + 1}/${o.trials}: server s${leader + 1} killed; no VIP holder for ${Number.isFinite(gap) ? `${gap} ms` : "more than 30 s"}`);
    } finally {
      await l.destroy();
    }
  }
  return out;
}
