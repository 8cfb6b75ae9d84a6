// The clusters `npm run sim` draws from, by name: each is the options of one kind of run (nodes,
// fencing, witness, which faults), sized to `nodes` where the kind allows it. The seeds that
// run them are the same whichever scenario: `--seed S --scenario X` replays one exactly.
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { peerLeaseStopBudgetMs, witnessLeaseStopBudgetMs } from "@vigil/shared/config/derived-timing";
import { AGENT_FAULTS, defaultOptions, LOG_FAULTS, type FaultKind, type SimOptions } from "./sim-options.js";
import { COMMAND_VERBS } from "./sim-commands.js";

const fast = TIMING_PROFILES.fast;
const delayMs = [0.1, 5] as const;

/** Stops that fit the lease: what a node may take to stop once its lease ends (derived-timing.ts). */
export const leaseStop = [1, peerLeaseStopBudgetMs(fast, delayMs[1])] as const;
export const witnessLeaseStop = [1, witnessLeaseStopBudgetMs(fast, delayMs[1] - delayMs[0])] as const;

export interface Scenario {
  name: string;
  /** The cluster sizes it is made for. */
  nodes: readonly number[];
  options(nodes: number): SimOptions;
}

const allFaults: readonly FaultKind[] = ["link-down", "partition", "one-way", "loss", "freeze", "crash"];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "links-no-fencing",
    nodes: [3, 4, 5, 6, 7],
    options: (n) => defaultOptions({ nodes: n, groups: n, timing: fast, delayMs, stopMs: leaseStop, faults: ["link-down", "partition"], faultCount: [1, 3] }),
  },
  {
    name: "every-fault-fencing",
    nodes: [3, 4, 5, 6, 7],
    options: (n) => defaultOptions({ nodes: n, groups: n, fencing: true, stopMs: [1, 300], faults: allFaults, freezeMs: [20, 800] }),
  },
  {
    // The log's and the agent's faults and the operator's commands at random moments, beside the network's.
    name: "log-and-commands",
    nodes: [3, 4, 5],
    options: (n) =>
      defaultOptions({
        nodes: n,
        groups: n,
        fencing: true,
        stopMs: [1, 300],
        faults: ["link-down", "partition", "crash", ...LOG_FAULTS, ...AGENT_FAULTS],
        faultCount: [1, 3],
        commands: COMMAND_VERBS,
        commandCount: [1, 3],
      }),
  },
  {
    name: "two-nodes-ping-witness",
    nodes: [2],
    options: () => defaultOptions({ nodes: 2, groups: 2, timing: fast, delayMs, witness: "ping", stopMs: witnessLeaseStop, faults: ["link-down"], faultCount: [1, 1] }),
  },
  {
    name: "two-nodes-fencing",
    nodes: [2],
    options: () => defaultOptions({ nodes: 2, groups: 2, witness: "ideal", fencing: true, stopMs: [1, 300], faults: ["partition", "link-down", "crash"] }),
  },
];

export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

/** The scenario and cluster size seed `seed` runs: drawn in turn, narrowed by the caller's choice. */
export function scenarioFor(seed: number, only: { scenario?: string; nodes?: number; maxNodes?: number }): { scenario: Scenario; nodes: number } | null {
  const sizes = (s: Scenario) => s.nodes.filter((n) => (only.nodes === undefined || n === only.nodes) && n <= (only.maxNodes ?? Infinity));
  const fits = SCENARIOS.filter((s) => (only.scenario === undefined || s.name === only.scenario) && sizes(s).length > 0);
  if (fits.length === 0) return null;
  const scenario = fits[seed % fits.length]!;
  const n = sizes(scenario);
  return { scenario, nodes: n[Math.floor(seed / fits.length) % n.length]! };
}
