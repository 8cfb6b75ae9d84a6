// Seeded fault schedules: which fault, on which nodes, from when until when. A schedule is drawn from
// its own random stream, so it reads the same whatever the run does, and prints as a short list that
// says how to replay a failure.
import { PUBLISH_TIMEOUT_MS } from "@vigil/agent/events/publisher";
import type { Rng } from "./prng.js";
import type { AutoFailback } from "@vigil/shared/config/schemas";
import { groupName, nodeName, type SimOptions } from "./sim-options.js";

export type Fault =
  /** The node's only link is down: it neither sends nor hears anything (nor reaches the witness). */
  | { kind: "link-down"; node: string; at: number; until: number }
  /** Nodes on different sides hear nothing from each other; each side still reaches the witness. */
  | { kind: "partition"; sides: [string[], string[]]; at: number; until: number }
  /** Packets from `from` to each of `to` are lost; the other direction still works. */
  | { kind: "one-way"; from: string; to: string[]; at: number; until: number }
  /** Packets to and from the node are lost with probability `rate`. */
  | { kind: "loss"; node: string; rate: number; at: number; until: number }
  /** The lab's `Faults.loss()`: nftables `numgen random` drops in the node's own namespace, so each
   *  datagram it sends is lost with probability `rate` for all receivers at once (one multicast
   *  packet), and each datagram it receives is lost with probability `rate` on its own. */
  | { kind: "random-loss"; node: string; rate: number; at: number; until: number }
  /** SIGSTOP at `at`, SIGCONT at `until`: no ticks, no sends, no reconciling; packets queue up. */
  | { kind: "freeze"; node: string; at: number; until: number }
  /** kill -9 (or power loss): it stops at `at`; without fencing its resources stay where they are.
   *  It boots again at `until`. */
  | { kind: "crash"; node: string; at: number; until: number }
  /** NATS unreachable in [at, until) for `nodes` (null: every agent). */
  | { kind: "log-outage"; nodes: string[] | null; at: number; until: number }
  /** The stream's store is lost at `at` (the agents make it again and rebuild it). */
  | { kind: "store-wiped"; at: number; until: number }
  /** The node's log reader hangs at `at` (delivers nothing) until its watchdog restarts it. */
  | { kind: "log-stall"; node: string; at: number; until: number }
  /** The stream's acks of publishes made in [at, until) take `ms`; from PUBLISH_TIMEOUT_MS on the
   *  publisher gives up first although the store kept the event (a lost ack: it publishes again). */
  | { kind: "slow-acks"; ms: number; at: number; until: number }
  /** kill -9 of the agent alone at `at` (what it configured stays: addresses, mounts), started again
   *  at `until` on its state dir: it folds on from the snapshot it saved at `savedAt` (none if it
   *  was not running then, or the stream cannot continue it). */
  | { kind: "agent-restart"; node: string; savedAt: number; at: number; until: number }
  /** The operator edits ha.cf or haresources and sends SIGHUP to every node in turn (`steps`); a node
   *  down then reads the new files when it starts. */
  | { kind: "config-reload"; change: ConfigChange; steps: Array<{ node: string; at: number }>; at: number; until: number };

/** What the operator changed in the files. */
export type ConfigChange =
  | { kind: "auto-failback"; to: AutoFailback }
  | { kind: "add-group"; preferred: string }
  | { kind: "remove-group"; group: string }
  /** A mistake in the files: every node refuses them and keeps its last good configuration (the
   *  operator puts the old files back before anything restarts). */
  | { kind: "typo" }
  | { kind: "unchanged" };

const CHANGES: readonly ConfigChange["kind"][] = ["auto-failback", "add-group", "remove-group", "typo", "unchanged"];
const AUTO_FAILBACKS: readonly AutoFailback[] = ["on", "off", "legacy"];

/** Each fault kind as an operator would say it (the table of `npm run sim`). */
export const FAULT_NAMES: Record<Fault["kind"], string> = {
  "link-down": "link down",
  partition: "partition",
  "one-way": "one-way loss",
  loss: "loss burst",
  "random-loss": "random loss",
  freeze: "pause",
  crash: "crash",
  "log-outage": "log outage",
  "store-wiped": "store wiped",
  "log-stall": "log reader stalled",
  "slow-acks": "slow acks",
  "agent-restart": "agent restart",
  "config-reload": "config reload",
};

export function drawSchedule(o: SimOptions, rng: Rng): Fault[] {
  const nodes = Array.from({ length: o.nodes }, (_, i) => nodeName(i));
  const count = o.faults.length === 0 ? 0 : rng.int(o.faultCount[0], o.faultCount[1]);
  const faults: Fault[] = [];
  for (let i = 0; i < count; i++) {
    const kind = rng.pick(o.faults);
    const at = round(o.faultsFromMs + rng.float(0, o.faultWindowMs));
    const until = round(at + (kind === "freeze" ? rng.float(o.freezeMs[0], o.freezeMs[1]) : rng.float(o.faultMs[0], o.faultMs[1])));
    const node = rng.pick(nodes);
    switch (kind) {
      case "link-down":
      case "freeze":
      case "crash":
      case "log-stall":
        faults.push({ kind, node, at, until });
        break;
      case "log-outage":
        faults.push({ kind, nodes: rng.chance(0.5) ? [node] : null, at, until });
        break;
      case "store-wiped":
        faults.push({ kind, at, until: at });
        break;
      case "slow-acks":
        // Half of them past the publisher's timeout: acks lost, events stored once and sent again.
        faults.push({ kind, ms: round(rng.chance(0.5) ? rng.float(PUBLISH_TIMEOUT_MS, 2 * PUBLISH_TIMEOUT_MS) : rng.float(20, PUBLISH_TIMEOUT_MS)), at, until });
        break;
      case "agent-restart":
        faults.push({ kind, node, savedAt: round(rng.float(0, at)), at, until });
        break;
      case "config-reload": {
        const c = rng.pick(CHANGES);
        const change: ConfigChange =
          c === "auto-failback"
            ? { kind: c, to: rng.pick(AUTO_FAILBACKS) }
            : c === "add-group"
              ? { kind: c, preferred: node }
              : c === "remove-group"
                ? { kind: c, group: groupName(rng.int(0, o.groups - 1)) }
                : { kind: c };
        const steps = shuffle(nodes, rng).map((n) => ({ node: n, at: round(at + rng.float(0, until - at)) }));
        faults.push({ kind, change, steps: steps.sort((a, b) => a.at - b.at), at, until });
        break;
      }
      case "loss":
      case "random-loss":
        faults.push({ kind, node, rate: round(rng.float(o.lossRate[0], o.lossRate[1])), at, until });
        break;
      case "partition": {
        const shuffled = shuffle(nodes, rng);
        const cut = rng.int(1, nodes.length - 1);
        faults.push({ kind, sides: [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()], at, until });
        break;
      }
      case "one-way": {
        const others = nodes.filter((n) => n !== node);
        const to = others.filter(() => rng.chance(0.6));
        faults.push({ kind, from: node, to: to.length ? to : [rng.pick(others)], at, until });
        break;
      }
    }
  }
  return faults.sort((a, b) => a.at - b.at);
}

export function describeFault(f: Fault): string {
  const when = `${f.at}–${f.until} ms`;
  switch (f.kind) {
    case "partition":
      return `${when} partition ${f.sides[0].join(",")} | ${f.sides[1].join(",")}`;
    case "one-way":
      return `${when} one-way loss ${f.from} → ${f.to.join(",")}`;
    case "random-loss":
      return `${when} random loss ${Math.round(f.rate * 100)}% in and out of ${f.node}`;
    case "loss":
      return `${when} loss ${Math.round(f.rate * 100)}% at ${f.node}`;
    case "log-outage":
      return `${when} log outage ${f.nodes ? `at ${f.nodes.join(",")}` : "(all)"}`;
    case "store-wiped":
      return `${f.at} ms store wiped`;
    case "log-stall":
      return `${f.at} ms log stall ${f.node}`;
    case "slow-acks":
      return `${when} acks take ${Math.round(f.ms)} ms`;
    case "agent-restart":
      return `${when} agent restart ${f.node} (snapshot of ${f.savedAt} ms)`;
    case "config-reload":
      return `${when} config reload: ${describeChange(f.change)}, SIGHUP to ${f.steps.map((s) => `${s.node}@${Math.round(s.at)}`).join(" ")}`;
    default:
      return `${when} ${f.kind} ${f.node}`;
  }
}

function describeChange(c: ConfigChange): string {
  switch (c.kind) {
    case "auto-failback":
      return `auto_failback ${c.to}`;
    case "add-group":
      return `a group added on ${c.preferred}`;
    case "remove-group":
      return `${c.group} removed`;
    default:
      return c.kind;
  }
}

function shuffle<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const round = (x: number) => Math.round(x * 1000) / 1000;
