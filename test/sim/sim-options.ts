// What one simulated run is made of: the cluster (nodes, groups, timing), the ranges the seed draws
// durations from, and which faults the schedule may contain. Every run is fixed by (options, seed).
import type { AutoFailback, ClusterConfig, GroupSpec } from "@vigil/shared/config/schemas";
import { TIMING_PROFILES, type TimingProfile } from "@vigil/shared/config/timing-profiles";
import type { ResourceScript } from "./sim-resources.js";
import type { CommandVerb } from "./sim-commands.js";

export type Range = readonly [min: number, max: number];

export type FaultKind = "link-down" | "partition" | "one-way" | "loss" | "random-loss" | "freeze" | "crash" | "agent-restart" | "config-reload" | LogFaultKind;
/** Faults of the event log (sim-log.ts): NATS unreachable (for everyone or one node), the store
 *  wiped, one agent's log reader hung until its watchdog restarts it. */
export type LogFaultKind = "log-outage" | "store-wiped" | "log-stall" | "slow-acks";
export const LOG_FAULTS: readonly LogFaultKind[] = ["log-outage", "store-wiped", "log-stall"];
/** The faults of an agent's life beside its host's: acks that come late or never, an agent killed
 *  and started again on its state dir, a configuration changed under it (SIGHUP). (Not in
 *  LOG_FAULTS: seeds drawn from that list replay as before.) */
export const AGENT_FAULTS: readonly FaultKind[] = ["slow-acks", "agent-restart", "config-reload"];

/** How a two-node cluster's witness behaves (DESIGN: a ping node or the NATS cluster).
 *  `ideal`: reachable exactly while the node's link is up. `ping`: the production PingWitness on the
 *  node's simulated timers; the simulator plays its `ping` child (an echo every max(20, keepalive/2),
 *  a reply in flight when the link goes down is lost, one that arrives while the agent is stopped
 *  waits in the pipe). */
export type WitnessModel = "none" | "ideal" | "ping";

export interface SimOptions {
  nodes: number;
  groups: number;
  timing: TimingProfile;
  /** Drawn from the seed per run when absent. */
  autoFailback?: AutoFailback;
  /** How long a resource's start, stop and monitor take unless the script says otherwise. */
  startMs: Range;
  stopMs: Range;
  monitorMs: Range;
  /** Each resource's metadata as the group machine reads it: op timeouts and monitor interval (0: the
   *  probe at agent start is the only monitor). */
  resourceTimeouts: { start: number; stop: number; monitor: number };
  monitorIntervalMs: number;
  /** Scripted answers of the resource agents (slow, failing or hanging actions); none: all succeed. */
  script?: ResourceScript;
  /** One-way delay of a heartbeat packet. */
  delayMs: Range;
  /** A fence agent is configured (modelled as power-off: the victim's holdings are gone at once). */
  fencing: boolean;
  fenceMs: Range;
  /** A crashed or fenced node boots again (new generation, nothing held) after this long. */
  rebootMs: Range;
  witness: WitnessModel;
  faults: readonly FaultKind[];
  faultCount: Range;
  /** Faults start in [faultsFromMs, faultsFromMs + faultWindowMs) and last `faultMs`. */
  faultsFromMs: number;
  faultWindowMs: number;
  faultMs: Range;
  freezeMs: Range;
  /** Loss probability during a loss burst. */
  lossRate: Range;
  /** After the last fault heals, the cluster has this long to settle before liveness is checked. */
  settleMs: number;
  /** Operator commands (their CLI verbs, all with --wait) one operator issues at random moments in
   *  the fault window, one after another (sim-commands.ts); none unless given. */
  commands?: readonly CommandVerb[];
  commandCount?: Range;
}

/** The `fast` profile, a 3-node cluster with one group per node, link and partition faults only. */
export function defaultOptions(over: Partial<SimOptions> = {}): SimOptions {
  return {
    nodes: 3,
    groups: 3,
    timing: TIMING_PROFILES.fast,
    startMs: [1, 60],
    stopMs: [1, 30],
    monitorMs: [0.5, 3],
    resourceTimeouts: { start: 2_000, stop: 1_000, monitor: 500 },
    // Not monitored unless a test asks (monitors that never fail change nothing and cost a quarter of the run time).
    monitorIntervalMs: 0,
    delayMs: [0.1, 5],
    fencing: false,
    fenceMs: [5, 150],
    rebootMs: [300, 1500],
    witness: "none",
    faults: ["link-down", "partition", "loss"],
    faultCount: [1, 3],
    faultsFromMs: 400,
    faultWindowMs: 1500,
    faultMs: [50, 1200],
    freezeMs: [20, 600],
    lossRate: [0.2, 0.9],
    settleMs: 3500,
    ...over,
  };
}

export const nodeName = (i: number): string => `n${i + 1}`;
export const groupName = (i: number): string => `g${i + 1}`;

/** A parsed configuration as the agent would load it; media and keys are never used by the simulator. */
export function clusterConfig(o: SimOptions, autoFailback: AutoFailback): ClusterConfig {
  const nodes = Array.from({ length: o.nodes }, (_, i) => nodeName(i));
  return {
    dir: "/sim",
    haCf: {
      cluster: "sim",
      ...o.timing,
      udpport: 694,
      media: [{ kind: "bcast", dev: "sim0", port: 694 }],
      nodes,
      pingNodes: o.witness === "none" ? [] : ["198.51.100.254"],
      autoFailback,
      nats: [],
      allowCrc: false,
      ...(o.fencing ? { fence: ["sim-fence"] } : {}),
    },
    authKeys: { active: 1, method: "sha256", key: "sim", keys: { "1": { method: "sha256", key: "sim" } } },
    groups: Array.from({ length: o.groups }, (_, i) => simGroup(i, nodes[i % nodes.length]!, i + 1)),
  };
}

/** The `i`th group a run knows of (one address each), on haresources line `line`. */
export function simGroup(i: number, preferredNode: string, line: number): GroupSpec {
  return { id: groupName(i), preferredNode, resources: [{ id: `IPaddr::203.0.113.${10 + i}`, agent: "IPaddr", args: [`203.0.113.${10 + i}`] }], line };
}
