// The chaos suite's invariants, as pure functions of what a trial recorded: the holder changes the
// namespaces reported, the event log, `vigil status`, the agents' saved folds. The trial gathers the
// records; these decide.
import { applyEvent, emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { VigilEvent } from "@vigil/shared/events/vocabulary";
import type { HolderChange } from "../lab/holder-monitor.js";

export const INVARIANTS = ["oneHolder", "exactlyOnce", "oneTruth", "stillObeys", "noFlapping", "nothingLeft"] as const;
export type Invariant = (typeof INVARIANTS)[number];
export const INVARIANT_TITLE: Record<Invariant, string> = {
  oneHolder: "one holder",
  exactlyOnce: "exactly once",
  oneTruth: "one truth",
  stillObeys: "still obeys",
  noFlapping: "no flapping",
  nothingLeft: "nothing left",
};

export { holderOverlaps, type Overlap } from "../lab/holder-monitor.js";

/** The longest time inside [from, to] no node held the address (what the namespaces say, not the client). */
export function longestNoHolder(changes: readonly HolderChange[], from: number, to: number): number {
  const held = new Map<string, boolean>();
  let darkSince: number | undefined;
  let longest = 0;
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    if (c.at > to) break;
    held.set(c.node, c.held);
    const any = [...held.values()].some(Boolean);
    if (!any && darkSince === undefined) darkSince = Math.max(c.at, from);
    if (any && darkSince !== undefined) {
      if (c.at > from) longest = Math.max(longest, c.at - darkSince);
      darkSince = undefined;
    }
  }
  if (darkSince !== undefined) longest = Math.max(longest, to - darkSince);
  return longest;
}

export interface LogLine {
  seq: number;
  event: VigilEvent;
}

/** Lines of `vigil log --json` (`{seq, ...event}`); lines that are not valid events are returned apart. */
export function parseLog(text: string): { events: LogLine[]; invalid: string[] } {
  const events: LogLine[] = [];
  const invalid: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const { seq, ...rest } = JSON.parse(line) as { seq: number };
      const r = VigilEvent.safeParse(rest);
      if (r.success && Number.isInteger(seq)) events.push({ seq, event: r.data });
      else invalid.push(line.slice(0, 200));
    } catch {
      invalid.push(line.slice(0, 200));
    }
  }
  return { events, invalid };
}

/** Event ids that occur more than once in the log, with their sequence numbers. */
export function duplicateIds(events: readonly LogLine[]): Array<{ id: string; seqs: number[] }> {
  const seen = new Map<string, number[]>();
  for (const e of events) seen.set(e.event.id, [...(seen.get(e.event.id) ?? []), e.seq]);
  return [...seen.entries()].filter(([, s]) => s.length > 1).map(([id, seqs]) => ({ id, seqs }));
}

/** The events that count as flapping (a node declared dead, a group stopped or started). */
export const FLAP_EVENTS = ["NodeDead", "GroupStarting", "GroupStarted", "GroupStopping", "GroupStopped"] as const;

/** Flapping inside [from, to]: such events in the log, and the address coming or going in a namespace. */
export function flapping(events: readonly LogLine[], changes: readonly HolderChange[], from: number, to: number): string[] {
  const out: string[] = [];
  for (const { seq, event: e } of events) {
    const t = Date.parse(e.time);
    if (t < from || t > to || !(FLAP_EVENTS as readonly string[]).includes(e.type)) continue;
    out.push(`#${seq} ${e.type} by ${e.node}${"peer" in e ? ` (peer ${e.peer})` : ""} at +${t - from} ms`);
  }
  for (const c of changes) {
    if (c.at < from || c.at > to) continue;
    out.push(`address ${c.held ? "added on" : "removed from"} ${c.node} at +${Math.round(c.at - from)} ms`);
  }
  return out;
}

/** The part of `vigil status --json` the truth check reads. */
export interface StatusJson {
  lastSeq: number;
  nodes: Array<{ name: string; state: string }>;
  groups: Array<{ id: string; node: string | null; state: string; resources: Array<{ id: string; state: string }> }>;
}

/**
 * Whether status tells what the namespaces hold: the group started (every resource started) on the
 * one node holding its address, or stopped when none does; and each node in the state expected of it.
 * Returns why not, or null.
 */
export function statusMismatch(s: StatusJson, group: string, holders: readonly string[], nodeStates: Readonly<Record<string, string>>): string | null {
  const g = s.groups.find((x) => x.id === group);
  if (!g) return `status has no group ${group}`;
  const says = `status says ${group} ${g.state}${g.node ? ` on ${g.node}` : ""} (resources ${g.resources.map((r) => `${r.id} ${r.state}`).join(", ")})`;
  if (holders.length > 1) return `${says}; ${holders.join(" and ")} hold its address`;
  if (holders.length === 1) {
    if (g.node !== holders[0] || g.state !== "started" || g.resources.some((r) => r.state !== "started")) return `${says}; ${holders[0]} holds its address`;
  } else if (g.node !== null || g.state === "started") return `${says}; no node holds its address`;
  for (const [name, want] of Object.entries(nodeStates)) {
    const got = s.nodes.find((n) => n.name === name)?.state;
    if (got !== want) return `status says node ${name} is ${got ?? "absent"}; it is ${want}`;
  }
  return null;
}

/** A fresh fold of the log up to and including `uptoSeq`, with the production fold. */
export function freshFold(cluster: string, events: readonly LogLine[], uptoSeq: number): ClusterView {
  const v = emptyView(cluster);
  for (const { seq, event } of events) if (seq <= uptoSeq) applyEvent(v, event, seq);
  return v;
}

/** A view as plain data in a fixed order (sets and maps sorted), so two folds compare as strings. */
export function canonicalView(v: ClusterView): Record<string, string> {
  return {
    lastSeq: String(v.lastSeq),
    lastEventTime: JSON.stringify(v.lastEventTime),
    autoFailback: JSON.stringify(v.autoFailback),
    applied: JSON.stringify([...v.applied].sort()),
    nodes: JSON.stringify([...v.nodes.values()].sort((a, b) => a.name.localeCompare(b.name))),
    groups: JSON.stringify([...v.groups.values()].sort((a, b) => a.id.localeCompare(b.id))),
    withoutQuorum: JSON.stringify([...v.withoutQuorum].sort()),
  };
}

/** Where an agent's fold differs from the fresh one: the fields, and for nodes and groups which ones. */
export function foldDifferences(agent: ClusterView, fresh: ClusterView): string[] {
  const a = canonicalView(agent);
  const f = canonicalView(fresh);
  const short = (x: unknown) => (JSON.stringify(x) ?? "absent").slice(0, 160);
  const entries = <T>(label: string, mine: Map<string, T>, theirs: Map<string, T>) => {
    const names = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
    const differ = names.filter((n) => JSON.stringify(mine.get(n)) !== JSON.stringify(theirs.get(n)));
    const first = differ[0]!;
    return `${label} ${differ.join(", ")} differ (${first}: agent ${short(mine.get(first))} / log ${short(theirs.get(first))})`;
  };
  return Object.keys(f)
    .filter((k) => a[k] !== f[k])
    .map((k) => {
      if (k === "applied") return `applied ids differ (${agent.applied.size} vs ${fresh.applied.size})`;
      if (k === "nodes") return entries("nodes", agent.nodes, fresh.nodes);
      if (k === "groups") return entries("groups", agent.groups, fresh.groups);
      return `${k}: agent ${a[k]!.slice(0, 80)} / log ${f[k]!.slice(0, 80)}`;
    });
}

/** Median and max of a list (undefined when empty). */
export function medianMax(xs: readonly number[]): { median: number | undefined; max: number | undefined } {
  if (xs.length === 0) return { median: undefined, max: undefined };
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s.at(-1)! };
}
