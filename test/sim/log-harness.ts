// A small host for the log model's tests: a SimLog whose stores wake every agent, agents with a
// rebuild context, and a loop that polls each agent when it asks (or a store wakes it). The
// simulator proper hosts the same parts in its own event queue.
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { SimAgentLog, SimLog, type AgentLogStep, type RestoreContext, type SimLogOptions } from "./sim-log.js";

export const CLUSTER = "sim";
export const CONFIG = {
  nodes: ["n1", "n2"],
  groups: [{ id: "web", preferredNode: "n1", resources: ["ip"] }],
  autoFailback: "on" as const,
  keepaliveMs: 100,
  deadtimeMs: 500,
};

let stored: number[] = [];

export const newLog = (o: Omit<SimLogOptions, "cluster" | "onStore"> = {}) => new SimLog({ cluster: CLUSTER, ...o, onStore: (at) => stored.push(at) });

export function agent(log: SimLog, node: string, now = 0, view: ClusterView = emptyView(CLUSTER), streamCreated: string | null = null): SimAgentLog {
  let ids = 0;
  const restore = (): RestoreContext => ({ generation: 2, config: CONFIG, nextId: () => `${node}.2.r${++ids}` });
  return new SimAgentLog(log, { node, view, streamCreated, now, restore });
}

/** Polls every agent at each instant one of them asked for (or a store wakes them), from `from` to `to`. */
export function run(agents: SimAgentLog[], from: number, to: number): Map<string, AgentLogStep[]> {
  const steps = new Map<string, AgentLogStep[]>(agents.map((a) => [a.node, []]));
  const next = new Map<SimAgentLog, number>(agents.map((a) => [a, from]));
  stored = [];
  for (let i = 0; i < 100_000; i++) {
    const now = Math.min(...next.values());
    if (now > to) break;
    for (const a of agents) {
      if (next.get(a)! > now) continue;
      const s = a.poll(now);
      steps.get(a.node)!.push(s);
      next.set(a, s.nextAt ?? Infinity);
    }
    for (const at of stored.splice(0)) for (const a of agents) next.set(a, Math.min(next.get(a)!, Math.max(at, now)));
  }
  return steps;
}

export const applied = (steps: AgentLogStep[]) => steps.flatMap((s) => s.applied.map((e) => e.id));
