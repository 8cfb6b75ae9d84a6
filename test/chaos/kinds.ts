// The trial kinds: each draws its parameters from the trial's seed (shorter ones with --short, for
// CI), injects its fault into a running lab cluster and heals it. A kind returns when the fault is
// healed; the trial then checks the invariants. Every fault is undone in a `finally`, so a kind that
// fails half-way still leaves a cluster the checks (and the teardown) can work on.
import { join } from "node:path";
import { streamName } from "@vigil/shared/events/vocabulary";
import { LAB_CLUSTER, type Lab } from "../lab/lab.js";
import { LabProcess } from "../lab/lab-process.js";
import { vigilArgv } from "../lab/repo-root.js";
import { inNs } from "../lab/sh.js";
import { VIP_NODES, type VipCluster } from "../lab/vip-cluster.js";
import { serverDown } from "./server-down.js";
import type { Rng } from "../sim/prng.js";
import { TWO_NODE_KINDS } from "./two-node-kinds.js";
import { udpFlood } from "./udp-flood.js";

export type Params = Record<string, number | string>;

export interface KindContext {
  c: VipCluster;
  lab: Lab;
  /** The node holding the group when the fault begins. */
  holder: string;
  seed: number;
  note(line: string): void;
}

export interface Kind {
  name: string;
  /** The cluster's nodes (default: the three VIP_NODES) and extra ha.cf lines (two-node-kinds.ts). */
  nodes?: readonly string[];
  extra?: readonly string[];
  /** nats-server processes the trial's lab runs. */
  natsServers: 1 | 3;
  /** Whether "no flapping" applies: the fault is one the cluster must ride out without a failover. */
  mustNotFlap: boolean;
  /** The fault stalls or kills the holder's agent alone: two holders are allowed inside the design's
   *  bounded fence window (the kernel removes the address when its lease lifetime runs out). */
  agentOnly?: boolean;
  /** The holder keeps the group through the fault (a two-node split: the lease holder keeps it): "one
   *  holder" then also means no add or delete of the address anywhere from the fault to the heal. */
  holderKeeps?: true;
  /** false: left out of CI's short set (chaos-short.test.ts), which must stay under 8 minutes; `npm run chaos` runs it. */
  inShortSet?: false;
  /** One line for docs/reliability.md. */
  what: string;
  draw(rng: Rng, short: boolean): Params;
  describe(p: Params, holder: string): string;
  /** Injects the fault and heals it; returns when healed. */
  run(ctx: KindContext, p: Params): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nodes = [...VIP_NODES];
const othersThan = (n: string) => nodes.filter((x) => x !== n);
const s = (ms: number | string) => `${(Number(ms) / 1000).toFixed(1)} s`;
/** A node the fault hits: seeded, except in the short set, where it is always the group's home n1. */
const pickNode = (rng: Rng, short: boolean) => (short ? "n1" : rng.pick(nodes));

async function leaderOf(lab: Lab): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const l = await lab.nats.streamLeader(streamName(LAB_CLUSTER));
    if (l !== undefined) return l;
    await sleep(200);
  }
  throw new Error(`chaos: no leader for stream ${streamName(LAB_CLUSTER)} within 10 s`);
}

/** Every lab host but `node` (nodes, NATS servers, the client): what "isolated" cuts it off from. */
const allBut = (lab: Lab, node: string) => [...lab.net.hosts.keys()].filter((h) => h !== node);

const THREE_NODE_KINDS: readonly Kind[] = [
  {
    name: "nats-kill",
    natsServers: 1,
    mustNotFlap: false,
    what: "kill -9 of the single nats-server, restarted on its store after 1–10 s",
    draw: (rng, short) => ({ downMs: short ? 2_000 : rng.int(1_000, 10_000) }),
    describe: (p) => `nats-server killed, restarted on its store after ${s(p.downMs!)}`,
    async run({ lab }, p) {
      await serverDown(lab, 0, Number(p.downMs));
    },
  },
  {
    name: "nats-store-lost",
    natsServers: 1,
    mustNotFlap: false,
    what: "kill -9 of the single nats-server, restarted on an empty store after 1–10 s (the log is lost)",
    draw: (rng, short) => ({ downMs: short ? 2_000 : rng.int(1_000, 10_000) }),
    describe: (p) => `nats-server killed, restarted EMPTY after ${s(p.downMs!)}`,
    async run({ lab }, p) {
      await serverDown(lab, 0, Number(p.downMs), "empty");
    },
  },
  {
    name: "leader-kill",
    natsServers: 3,
    mustNotFlap: false,
    what: "three nats-servers: kill -9 of the event stream's leader, restarted on its store after 1–10 s",
    draw: (rng, short) => ({ downMs: short ? 3_000 : rng.int(1_000, 10_000) }),
    describe: (p) => `stream leader killed, restarted after ${s(p.downMs!)}`,
    async run({ lab, note }, p) {
      const leader = await leaderOf(lab);
      note(`stream leader was s${leader + 1}`);
      await serverDown(lab, leader, Number(p.downMs));
    },
  },
  {
    name: "leader-kill-link",
    natsServers: 3,
    mustNotFlap: false,
    what: "three nats-servers: kill -9 of the stream leader at the moment a node's link goes down (2–8 s); the leader restarts after 1–10 s",
    draw: (rng, short) => ({ node: pickNode(rng, short), linkMs: short ? 4_000 : rng.int(2_000, 8_000), downMs: short ? 3_000 : rng.int(1_000, 10_000) }),
    describe: (p) => `stream leader killed (back after ${s(p.downMs!)}) with ${p.node}'s link down for ${s(p.linkMs!)}`,
    async run({ lab, note }, p) {
      const leader = await leaderOf(lab);
      note(`stream leader was s${leader + 1}`);
      const node = String(p.node);
      await Promise.all([lab.nats.kill(leader), lab.faults.linkDown(node)]);
      const link = (async () => {
        try {
          await sleep(Number(p.linkMs));
        } finally {
          await lab.faults.linkUp(node);
        }
      })();
      const server = (async () => {
        try {
          await sleep(Number(p.downMs));
        } finally {
          await lab.nats.restart(leader);
        }
      })();
      await Promise.all([link, server]);
    },
  },
  {
    name: "link-down",
    natsServers: 1,
    mustNotFlap: false,
    what: "a node's link down for 1–15 s (crossing the NATS client's ping timeout)",
    draw: (rng, short) => ({ node: pickNode(rng, short), ms: short ? 3_000 : rng.int(1_000, 15_000) }),
    describe: (p) => `${p.node}'s link down for ${s(p.ms!)}`,
    async run({ lab }, p) {
      await lab.faults.linkDown(String(p.node));
      try {
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.linkUp(String(p.node));
      }
    },
  },
  {
    name: "agent-pause",
    natsServers: 1,
    mustNotFlap: false,
    agentOnly: true,
    what: "SIGSTOP of the agent holding the group for 1–5 s, then SIGCONT",
    draw: (rng, short) => ({ ms: short ? 3_000 : rng.int(1_000, 5_000) }),
    describe: (p, holder) => `${holder}'s agent SIGSTOPped for ${s(p.ms!)}`,
    async run({ lab, holder }, p) {
      lab.agents.sigstop(holder);
      try {
        await sleep(Number(p.ms));
      } finally {
        lab.agents.sigcont(holder);
      }
    },
  },
  {
    name: "partition-isolated",
    natsServers: 1,
    mustNotFlap: false,
    what: "nftables in the namespaces: one node cut off from every other host (peers, NATS, client) for 2–15 s",
    draw: (rng, short) => ({ node: pickNode(rng, short), ms: short ? 3_000 : rng.int(2_000, 15_000) }),
    describe: (p) => `${p.node} isolated from every host for ${s(p.ms!)}`,
    async run({ lab }, p) {
      try {
        await lab.faults.partition([String(p.node)], allBut(lab, String(p.node)));
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  },
  {
    name: "partition-split",
    natsServers: 1,
    mustNotFlap: false,
    what: "nftables: the nodes split into a minority (one node) and a majority (two), both still reaching NATS and the client, for 2–15 s",
    draw: (rng, short) => ({ minority: pickNode(rng, short), ms: short ? 3_000 : rng.int(2_000, 15_000) }),
    describe: (p) => `${p.minority} | ${othersThan(String(p.minority)).join("+")} split for ${s(p.ms!)}`,
    async run({ lab }, p) {
      try {
        await lab.faults.partition([String(p.minority)], othersThan(String(p.minority)));
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  },
  {
    name: "partition-oneway",
    natsServers: 1,
    mustNotFlap: false,
    what: "nftables: one-way loss for 2–15 s — a node hears none of its peers while they hear it (deaf), or they hear nothing from it while it hears them (mute)",
    draw: (rng, short) => ({ node: pickNode(rng, short), way: short ? "deaf" : rng.pick(["deaf", "mute"]), ms: short ? 3_000 : rng.int(2_000, 15_000) }),
    describe: (p) => `${p.node} ${p.way === "deaf" ? "hears no peer (they hear it)" : "is heard by no peer (it hears them)"} for ${s(p.ms!)}`,
    async run({ lab }, p) {
      const node = String(p.node);
      try {
        if (p.way === "deaf") await lab.faults.dropFrom(node, othersThan(node));
        else for (const o of othersThan(node)) await lab.faults.dropFrom(o, [node]);
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  },
  {
    name: "loss",
    natsServers: 1,
    mustNotFlap: true,
    what: "20% packet loss in and out of one node for 30 s (nftables numgen random): must warn, not fail over",
    draw: (rng, short) => ({ node: pickNode(rng, short), percent: 20, ms: short ? 10_000 : 30_000 }),
    describe: (p) => `${p.percent}% loss on ${p.node} for ${s(p.ms!)}`,
    async run({ lab }, p) {
      try {
        await lab.faults.loss(String(p.node), Number(p.percent));
        await sleep(Number(p.ms));
      } finally {
        await lab.faults.healAll();
      }
    },
  },
  {
    name: "agent-kill-restart",
    natsServers: 1,
    mustNotFlap: false,
    agentOnly: true,
    what: "kill -9 of the agent holding the group, restarted on the same state dir 0.1–2 s later while a peer takes over",
    draw: (rng, short) => ({ delayMs: short ? 300 : rng.int(100, 2_000) }),
    describe: (p, holder) => `${holder}'s agent killed, restarted on its state dir after ${s(p.delayMs!)}`,
    async run({ lab, holder }, p) {
      await lab.agents.kill9(holder);
      await sleep(Number(p.delayMs));
      lab.agents.start(holder);
    },
  },
  {
    name: "second-agent",
    natsServers: 1,
    mustNotFlap: false,
    what: "a second agent started for a node that already runs one (same config and state dir), stopped with SIGTERM after 2–10 s",
    draw: (rng, short) => ({ node: pickNode(rng, short), ms: short ? 3_000 : rng.int(2_000, 10_000) }),
    describe: (p) => `a second agent for ${p.node} for ${s(p.ms!)}`,
    async run({ lab, note }, p) {
      const node = String(p.node);
      const argv = [
        ...vigilArgv(),
        "agent",
        "--config", lab.agents.configDir(node),
        "--node", node,
        "--nats", lab.nats.urls().join(","),
        "--state-dir", lab.agents.stateDir(node),
      ];
      const twin = lab.track(new LabProcess(`agent-${node}-twin`, inNs(lab.host(node).ns, argv), join(lab.dir, `agent-${node}-twin.log`)));
      try {
        await Promise.race([twin.exited, sleep(Number(p.ms))]);
      } finally {
        const exit = twin.alive ? await twin.stop(5_000).then((x) => ({ ...x, by: "SIGTERM" })) : await twin.exited.then((x) => ({ ...x, by: "itself" }));
        note(`the second agent exited by ${exit.by} (code ${exit.code ?? exit.signal}): ${twin.logTail(1).slice(0, 200)}`);
      }
    },
  },
  {
    name: "udp-flood",
    natsServers: 1,
    mustNotFlap: true,
    what: "a bounded flood (1,000–4,000) of random, truncated and replayed datagrams at the heartbeat group and port",
    draw: (rng, short) => ({ count: short ? 600 : rng.int(1_000, 4_000) }),
    describe: (p) => `${p.count} junk/truncated/replayed datagrams at the heartbeat port`,
    async run({ lab, note, seed }, p) {
      const r = await udpFlood(lab, Number(p.count), seed);
      note(`flood: heard ${r.heard} heartbeats; sent ${r.sent.random} random, ${r.sent.truncated} truncated, ${r.sent.replayed} replayed`);
    },
  },
];

export const KINDS: readonly Kind[] = [...THREE_NODE_KINDS, ...TWO_NODE_KINDS];

export const KIND_NAMES = KINDS.map((k) => k.name);
/** The kinds of CI's short set (`npm test`, and `npm run chaos -- --short` without --kind). */
export const SHORT_SET: readonly Kind[] = KINDS.filter((k) => k.inShortSet !== false);

export function kindByName(name: string): Kind {
  const k = KINDS.find((x) => x.name === name);
  if (!k) throw new Error(`chaos: unknown kind "${name}" (kinds: ${KIND_NAMES.join(", ")})`);
  return k;
}
