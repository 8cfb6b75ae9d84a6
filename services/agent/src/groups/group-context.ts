// The group machine's data and the pure rules that read it: which resource acts next, which timeout
// applies, whether a failcount has reached its migration threshold. No I/O, no clock.
import type { Resource } from "@vigil/resource-agents/agent-interface";

import type { ResourceState } from "@vigil/shared/states";
export type ResourceOp = "start" | "stop" | "monitor";

/** Per-resource settings that override the agent's metadata (from Vigil's own config, or a test). */
export interface ResourceOverride {
  timeouts?: Partial<Record<ResourceOp, number>>;
  monitorIntervalMs?: number;
  migrationThreshold?: number;
}

export interface GroupInput {
  /** The group's id (heartbeat's key: its first resource as written, unless named). */
  group: string;
  /** This node's name: the victim of a fence request when a stop fails. */
  node: string;
  /** In haresources order: started left to right, stopped right to left. */
  resources: readonly Resource[];
  /** Failures of one resource on this node before its group must leave (Pacemaker's migration-threshold).
   *  Default 3; 0 = never migrate, always recover in place. */
  migrationThreshold?: number;
  overrides?: Readonly<Record<string, ResourceOverride>>;
  /** Failcounts folded from the log, so an agent that restarts does not forget earlier failures. */
  failcounts?: Readonly<Record<string, number>>;
  /** Pacemaker's start-failure-is-fatal (default true): a failed start raises the failcount to the
   *  threshold at once, so placement keeps the group off this node until cleanup. */
  startFailureIsFatal?: boolean;
  /** False while this node's lease is in doubt (it was stalled past it and the controller has not yet
   *  acted on that): a start the machine would begin on its own, without a fresh START (an in-place
   *  recovery, a start left over from before a stop), then waits for the controller. Absent: always sound. */
  leaseSound?: () => boolean;
}

export interface ResourceSlot {
  id: string;
  state: ResourceState;
  failcount: number;
  /** The probe found it running (an earlier life of the agent left it): it still gets a real start
   *  (idempotent, and it announces: an address found in place gets its gratuitous ARP), so the log
   *  never says a group started without saying each resource did. */
  adopted?: boolean;
}

/** Why the group is stopping, which decides where `stopping` ends. */
export type StopPurpose = "stop" | "fail" | "recover";

export interface GroupContext {
  group: string;
  node: string;
  resources: readonly Resource[];
  slots: ResourceSlot[];
  migrationThreshold: number;
  startFailureIsFatal: boolean;
  overrides: Readonly<Record<string, ResourceOverride>>;
  /** What the agent last asked for; read when the current phase ends (STOP during starting, START during stopping). */
  goal: "started" | "stopped";
  /** Index of the resource the current action runs on. */
  cursor: number;
  /** Lowest index `stopping` stops down to (0 = whole group; i = in-place recovery of resource i and those right of it). */
  stopDownTo: number;
  purpose: StopPurpose;
  /** PROBE's instruction: keep (or bring) the group running here, else stop what the probe finds. */
  probeRun: boolean;
  /** Resources whose monitor is due, in the order they fell due; one monitor runs at a time. */
  monitorQueue: number[];
  /** Why the current phase began, carried into the group notices. */
  cause: string;
  /** Why the goal changed during the current phase (a START while stopping): the next phase's cause. */
  nextCause: string | null;
  leaseSound: () => boolean;
}

export const DEFAULT_MIGRATION_THRESHOLD = 3;

export function initialContext(input: GroupInput): GroupContext {
  return {
    group: input.group,
    node: input.node,
    resources: input.resources,
    slots: input.resources.map((r) => ({ id: r.id, state: "stopped", failcount: input.failcounts?.[r.id] ?? 0 })),
    migrationThreshold: input.migrationThreshold ?? DEFAULT_MIGRATION_THRESHOLD,
    startFailureIsFatal: input.startFailureIsFatal ?? true,
    overrides: input.overrides ?? {},
    goal: "stopped",
    cursor: 0,
    stopDownTo: 0,
    purpose: "stop",
    probeRun: false,
    monitorQueue: [],
    cause: "",
    nextCause: null,
    leaseSound: input.leaseSound ?? (() => true),
  };
}

export function timeoutFor(ctx: GroupContext, index: number, op: ResourceOp): number {
  const r = ctx.resources[index]!;
  return ctx.overrides[r.id]?.timeouts?.[op] ?? r.meta.timeouts[op];
}

/** 0 means "not monitored", as an OCF monitor with interval 0 is a one-off probe. */
export function monitorIntervalFor(ctx: GroupContext, index: number): number {
  const r = ctx.resources[index]!;
  return ctx.overrides[r.id]?.monitorIntervalMs ?? r.meta.monitorIntervalMs;
}

export function thresholdFor(ctx: GroupContext, index: number): number {
  return ctx.overrides[ctx.resources[index]!.id]?.migrationThreshold ?? ctx.migrationThreshold;
}

export function atThreshold(ctx: GroupContext, index: number): boolean {
  const t = thresholdFor(ctx, index);
  return t > 0 && ctx.slots[index]!.failcount >= t;
}

export const anyAtThreshold = (ctx: GroupContext) => ctx.slots.some((_, i) => atThreshold(ctx, i));

/** Left to right: the first resource not yet running, or found running by a probe and not started by
 *  this life. Everything right of it is stopped (or adopted) by construction. */
export function nextToStart(ctx: GroupContext): number | undefined {
  const i = ctx.slots.findIndex((s) => s.state !== "started" || s.adopted === true);
  return i < 0 ? undefined : i;
}

/** Right to left: the last resource not known to be stopped, down to `stopDownTo`. A resource whose start
 *  failed is stopped too: OCF leaves it in an unknown state, and stop is idempotent. */
export function nextToStop(ctx: GroupContext): number | undefined {
  for (let i = ctx.slots.length - 1; i >= ctx.stopDownTo; i--) if (ctx.slots[i]!.state !== "stopped") return i;
  return undefined;
}

/** True when the running resources are a left prefix of the group and none failed: a start can go on from there. */
export function runningIsPrefix(ctx: GroupContext): boolean {
  const states = ctx.slots.map((s) => s.state);
  const k = states.findIndex((s) => s !== "started");
  return k < 0 || states.slice(k).every((s) => s === "stopped");
}

export function withSlot(ctx: GroupContext, index: number, patch: Partial<ResourceSlot>): ResourceSlot[] {
  return ctx.slots.map((s, i) => (i === index ? { ...s, ...patch } : s));
}

/** What the resource-op machine needs to run `op` on the current resource. */
export const opInput = (ctx: GroupContext, op: ResourceOp) => ({
  resource: ctx.resources[ctx.cursor]!,
  op,
  timeoutMs: timeoutFor(ctx, ctx.cursor, op),
});

/** Context after a failed action on the current resource: Pacemaker counts every failed op, stop included.
 *  A fatal failure (a start, by default) counts at least up to the threshold. */
export function failed(ctx: GroupContext, fatal = false): Partial<GroupContext> {
  const s = ctx.slots[ctx.cursor]!;
  const failcount = Math.max(s.failcount + 1, fatal ? thresholdFor(ctx, ctx.cursor) : 0);
  return { slots: withSlot(ctx, ctx.cursor, { state: "failed", failcount }) };
}

/** Would one more failure of the current resource reach its threshold? (XState runs guards before assigns.) */
export function failureMigrates(ctx: GroupContext): boolean {
  const t = thresholdFor(ctx, ctx.cursor);
  return t > 0 && ctx.slots[ctx.cursor]!.failcount + 1 >= t;
}
