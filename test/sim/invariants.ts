// The two checks a run must pass. Safety (Invariant 1): at no instant do two nodes hold one group.
// Liveness: once the faults have healed and the cluster has had time to settle, every group runs on
// exactly one node, the node the placement policy names, and every node agrees on it.
import type { SimNode } from "./sim-node.js";
import { LOG_INVARIANTS } from "./log-invariants.js";

/** Every invariant a run is judged by, as the sim's table names them. */
export const SIM_INVARIANTS = ["one holder", "settles", ...LOG_INVARIANTS] as const;
export type SimInvariant = (typeof SIM_INVARIANTS)[number];

/** What was wrong once the cluster should have settled: the invariant it breaks, and how. */
export interface RunProblem {
  invariant: Exclude<SimInvariant, "one holder">;
  message: string;
}

/** A problem as one line: "invariant: message", or the message alone for "settles". */
export const describeProblem = (p: RunProblem): string => (p.invariant === "settles" ? p.message : `${p.invariant}: ${p.message}`);

export interface DoubleHolding {
  group: string;
  holders: string[];
}

/** Groups held (SimNode.holds: the machine starting, started, stopping or blocked, or a resource still
 *  there) on more than one node, whether those nodes are up, frozen or crashed: a crashed host keeps
 *  its addresses and mounts until it is fenced. */
export function doubleHoldings(nodes: readonly SimNode[], groups: readonly string[]): DoubleHolding[] {
  const out: DoubleHolding[] = [];
  for (const group of groups) {
    const holders = nodes.filter((n) => n.holds(group)).map((n) => n.name);
    if (holders.length > 1) out.push({ group, holders });
  }
  return out;
}

/** What is wrong with a cluster that should have settled; empty when all is well. `removed`: groups
 *  taken out of the configuration, which no node may hold any more. */
export function settleProblems(nodes: readonly SimNode[], groups: readonly string[], removed: readonly string[] = []): string[] {
  const problems: string[] = [];
  const down = nodes.filter((n) => !n.up || n.frozen).map((n) => n.name);
  if (down.length) return [`nodes not running: ${down.join(", ")}`];
  let agreed: Record<string, string | null> | null = null;
  for (const n of nodes) {
    const d = n.peek();
    if (!d?.ready || !d.placement) {
      problems.push(`${n.name} is not ready to place`);
      continue;
    }
    if (!d.quorum.has) problems.push(`${n.name} has no quorum: ${d.quorum.reason}`);
    const p = d.placement.placement;
    if (agreed === null) agreed = p;
    else if (JSON.stringify(agreed) !== JSON.stringify(p)) problems.push(`${n.name} places ${JSON.stringify(p)}, others ${JSON.stringify(agreed)}`);
  }
  for (const group of groups) {
    const started = nodes.filter((n) => n.groupState(group) === "started").map((n) => n.name);
    const busy = nodes.filter((n) => ["starting", "stopping"].includes(n.groupState(group))).map((n) => n.name);
    const want = agreed?.[group] ?? null;
    if (busy.length) problems.push(`${group} still starting/stopping on ${busy.join(", ")}`);
    if (started.length !== 1) problems.push(`${group} runs on ${started.length ? started.join(", ") : "no node"}`);
    else if (want !== started[0]) problems.push(`${group} runs on ${started[0]} but the policy places it on ${want ?? "nowhere"}`);
  }
  for (const group of removed) {
    const still = nodes.filter((n) => n.holds(group) || n.groupState(group) !== "stopped").map((n) => n.name);
    if (still.length) problems.push(`${group} was removed from haresources but is still on ${still.join(", ")}`);
  }
  return problems;
}
