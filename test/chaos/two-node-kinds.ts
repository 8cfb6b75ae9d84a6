// The two-node trial kinds (issue 10): two nodes with `tiebreaker nats`, the arbiter being the lab's
// nats-server (one server, or the three of a replicated log). The heartbeat path is cut with
// `dropUdpPort` on the heartbeat port only, so both nodes still reach the arbiter; the group `web`
// stays preferred on n1. Same shape as the three-node kinds (kinds.ts): draw, inject, heal in a
// `finally`, and the trial checks the suite's invariants. CI's short set takes three of them (about
// 30 s each; it must stay under 8 minutes): the split, the arbiter killed, the holder killed in a split.
import { randomBytes } from "node:crypto";
import { tiebreakBucket } from "@vigil/agent/cluster/tiebreak-lease";
import { is } from "../lab/event-tail.js";
import { LAB_CLUSTER, type Lab } from "../lab/lab.js";
import { vipHaresources } from "../lab/vip-cluster.js";
import type { Rng } from "../sim/prng.js";
import type { Kind } from "./kinds.js";
import { serverDown } from "./server-down.js";

export const TWO_NODES = ["n1", "n2"] as const;
/** The two-node cluster's extra ha.cf line (auto_failback on comes from the VIP cluster). */
export const TWO_NODE_EXTRA = ["tiebreaker nats"] as const;
const topology = { nodes: TWO_NODES, extra: TWO_NODE_EXTRA };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const s = (ms: number | string) => `${(Number(ms) / 1000).toFixed(1)} s`;
const peerOf = (n: string) => (n === "n1" ? "n2" : "n1");
const pickNode = (rng: Rng, short: boolean) => (short ? "n1" : rng.pick([...TWO_NODES]));

/** Both directions at once (a real cut is): one nft spawn after the other would give one side a head start. */
const heartbeatCut = (lab: Lab) => Promise.all(TWO_NODES.map((n) => lab.faults.dropUdpPort(n, [peerOf(n)], lab.mcast.port)));

/** After the arbiter is back: the agents reconnect and flush their outboxes; nothing may move meanwhile either. */
const AFTER_RESTART_MS = 3_000;

/** The KV bucket's Raft leader among three servers (the lease's arbiter), bounded. */
async function bucketLeader(lab: Lab): Promise<number> {
  const stream = `KV_${tiebreakBucket(LAB_CLUSTER)}`;
  for (let i = 0; i < 50; i++) {
    const l = await lab.nats.streamLeader(stream);
    if (l !== undefined) return l;
    await sleep(200);
  }
  throw new Error(`chaos: no leader for ${stream} within 10 s`);
}

/** The heartbeat path between the two nodes cut for 2–10 s (both still reach NATS), then healed:
 *  with one server (the arbiter) or three (the log and the lease replicated). */
function heartbeatSplit(o: { name: string; natsServers: 1 | 3; inShortSet: boolean; what: string; cut: string }): Kind {
  return {
    name: o.name,
    holderKeeps: true,
    ...(o.inShortSet ? {} : { inShortSet: false }),
    ...topology,
    natsServers: o.natsServers,
    mustNotFlap: false,
    what: o.what,
    draw: (rng, short) => ({ ms: short ? 3_000 : rng.int(2_000, 10_000) }),
    describe: (p) => `n1 | n2 ${o.cut} for ${s(p.ms!)}`,
    async run({ lab }, p) {
      try {
        await heartbeatCut(lab);
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  };
}

export const TWO_NODE_KINDS: readonly Kind[] = [
  heartbeatSplit({ name: "two-node-split", natsServers: 1, inShortSet: true, what: "two nodes + arbiter: the heartbeat path between the nodes cut (both still reach NATS) for 2–10 s, then healed", cut: "heartbeat cut, both reach the arbiter," }),
  heartbeatSplit({ name: "two-node-split-3-servers", natsServers: 3, inShortSet: false, what: "two nodes + three nats-servers (replicated log and lease): the heartbeat path cut for 2–10 s, then healed", cut: "heartbeat cut over three servers" }),
  {
    name: "two-node-keys-differ",
    holderKeeps: true,
    inShortSet: false,
    ...topology,
    natsServers: 1,
    mustNotFlap: false,
    what: "two nodes + arbiter: the node not holding the group restarted with a different authkeys key, left so for 3–10 s after the holder first rejects its packets, then restarted with the cluster's key",
    draw: (rng, short) => ({ ms: short ? 4_000 : rng.int(3_000, 10_000) }),
    describe: (p, holder) => `${peerOf(holder)} restarted with a wrong key for ${s(p.ms!)}`,
    async run({ lab, holder, note }, p) {
      const node = peerOf(holder);
      const configs = { haresources: vipHaresources(), extra: ["auto_failback on", ...TWO_NODE_EXTRA] };
      const tail = lab.tail();
      await lab.agents.stop(node);
      try {
        const from = Date.now();
        lab.writeConfig(node, { ...configs, key: randomBytes(24).toString("hex") });
        lab.agents.start(node);
        // The fault is real only if the holder rejects the newcomer's packets: awaited, bounded.
        const rejected = await tail.waitFor((e) => is("PeerRejected", { node: holder, peer: node })(e) && Date.parse(e.time) >= from - 1_000, 20_000, `${holder} rejects ${node}'s packets`);
        note(`${holder} rejected ${node}'s packets (${String(rejected.reason)}) ${Date.parse(rejected.time) - from} ms after the restart`);
        await sleep(Number(p.ms));
      } finally {
        await tail.stop();
        if (lab.agents.proc(node).alive) {
          const exit = await lab.agents.stop(node);
          if (exit.signal === "SIGKILL") note(`${node}'s wrong-key agent did not stop on SIGTERM`);
        }
        lab.writeConfig(node, configs);
        lab.agents.start(node);
      }
    },
  },
  {
    name: "two-node-isolated",
    inShortSet: false,
    ...topology,
    natsServers: 1,
    mustNotFlap: false,
    what: "two nodes + arbiter: one node cut off from its peer, NATS and the client (nftables) for 2–10 s",
    draw: (rng, short) => ({ node: pickNode(rng, short), ms: short ? 4_000 : rng.int(2_000, 10_000) }),
    describe: (p) => `${p.node} isolated from its peer and the arbiter for ${s(p.ms!)}`,
    async run({ lab }, p) {
      const node = String(p.node);
      try {
        await lab.faults.partition([node], [...lab.net.hosts.keys()].filter((h) => h !== node));
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  },
  {
    name: "arbiter-killed",
    // CI runs this case as test/lab/tiebreaker.test.ts "the arbiter killed…", with the DRBD+NFS group.
    inShortSet: false,
    ...topology,
    natsServers: 1,
    mustNotFlap: true,
    what: "two nodes + arbiter, both healthy: kill -9 of the arbiter's nats-server, restarted after 2–10 s; nothing may move (no stop, no start, no NodeDead)",
    draw: (rng, short) => ({ downMs: short ? 3_000 : rng.int(2_000, 10_000) }),
    describe: (p) => `arbiter killed with both nodes healthy, back after ${s(p.downMs!)}`,
    async run({ lab }, p) {
      await serverDown(lab, 0, Number(p.downMs));
      await sleep(AFTER_RESTART_MS);
    },
  },
  {
    name: "arbiter-leader-killed",
    inShortSet: false,
    ...topology,
    natsServers: 3,
    mustNotFlap: true,
    what: "two nodes + three nats-servers, both nodes healthy: kill -9 of the lease bucket's Raft leader, restarted after 2–10 s; nothing may move",
    draw: (rng, short) => ({ downMs: short ? 5_000 : rng.int(2_000, 10_000) }),
    describe: (p) => `the lease bucket's leader killed with both nodes healthy, back after ${s(p.downMs!)}`,
    async run({ lab, note }, p) {
      const leader = await bucketLeader(lab);
      note(`the lease bucket's leader was s${leader + 1}`);
      await serverDown(lab, leader, Number(p.downMs));
      await sleep(AFTER_RESTART_MS);
    },
  },
  {
    name: "two-node-holder-killed",
    // CI runs this case as test/lab/tiebreaker.test.ts "the lease holder dies during a split…".
    inShortSet: false,
    ...topology,
    natsServers: 1,
    mustNotFlap: false,
    // The agent alone is killed: its address stays until the kernel's lifetime runs out (the design's
    // fence window, "The fence window"); the peer's takeover waits for the lease as well, so later.
    agentOnly: true,
    what: "two nodes + arbiter: during a heartbeat cut, kill -9 of the lease holder's agent; the peer takes over after the lease; healed and restarted 2–8 s later",
    draw: (rng, short) => ({ ms: short ? 3_000 : rng.int(2_000, 8_000) }),
    describe: (p, holder) => `${holder}'s agent killed during a heartbeat cut; healed and restarted after ${s(p.ms!)}`,
    async run({ lab, holder, note }, p) {
      const peer = peerOf(holder);
      const tail = lab.tail();
      try {
        const from = Date.now();
        await heartbeatCut(lab);
        await tail.waitFor((e) => is("TiebreakerWon", { node: holder })(e) && Date.parse(e.time) >= from - 1_000, 20_000, `${holder} won the lease`);
        await tail.waitFor((e) => is("TiebreakerLost", { node: peer })(e) && Date.parse(e.time) >= from - 1_000, 20_000, `${peer} lost the lease`);
        const killedAt = Date.now();
        await lab.agents.kill9(holder);
        const started = await tail.waitFor((e) => is("GroupStarted", { node: peer })(e) && Date.parse(e.time) >= killedAt - 1_000, 30_000, `${peer} took the group`);
        note(`${peer} started the group ${Date.parse(started.time) - killedAt} ms after the kill (its own clock)`);
        await sleep(Number(p.ms));
      } finally {
        await tail.stop();
        await lab.faults.healAll();
        if (!lab.agents.proc(holder).alive) lab.agents.start(holder);
      }
    },
  },
];
