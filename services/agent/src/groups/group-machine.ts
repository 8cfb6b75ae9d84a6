/*
 * One resource group on this node, as an XState v5 machine (heartbeat's haresources line; Pacemaker's group).
 *
 *   stopped ──START──▶ starting ──all started──▶ running ──STOP──▶ stopping ──all stopped──▶ stopped
 *      │               (left to right,           (each resource    (right to left)
 *      │                one at a time)            monitored on its interval)
 *      └──PROBE──▶ probing: monitor every resource once to learn what already runs (agent start, cleanup)
 *
 *   failed   a start failed (its failcount jumps to the threshold: Pacemaker's start-failure-is-fatal), or a
 *            resource reached its migration threshold; everything was stopped cleanly. Only CLEANUP
 *            (failcounts reset) leaves it; placement moves the group elsewhere meanwhile.
 *   blocked  a stop failed or timed out: the resource may still hold the IP or the disk, so the node must
 *            be fenced (FenceRequested) before a peer takes over. Nothing runs until UNBLOCK/CLEANUP,
 *            which re-probe and stop cleanly what is found.
 *
 * A monitor failure bumps the resource's failcount; below its threshold the resource and those right of
 * it are stopped (right to left) and started again (left to right) in place; at the threshold the whole
 * group stops and goes failed. STOP during starting lets the running start finish, then stops; START
 * during stopping lets the stop finish, then starts. Every action runs in `resourceOpMachine`, whose
 * timeout counts as a failure. Facts are reported with `emit` as GroupNotices (see group-notices.ts).
 */
import { and, assign, emit, enqueueActions, not, setup } from "xstate";
import { OCF, type ActionResult } from "@vigil/resource-agents/agent-interface";
import {
  anyAtThreshold,
  failed,
  failureMigrates,
  initialContext,
  monitorIntervalFor,
  nextToStart,
  nextToStop,
  opInput,
  runningIsPrefix,
  withSlot,
  type GroupContext,
  type GroupInput,
} from "./group-context.js";
import { failureNotice, groupNotice, resourceNotice, type GroupNotice } from "./group-notices.js";
import { resourceOpMachine } from "./resource-op.js";

type Cause = { cause?: string };
export type GroupCommand =
  | ({ type: "START" } & Cause)
  | ({ type: "STOP" } & Cause)
  /** `run`: placement wants the group here, so start it, what the probe found running included (start
   *  is idempotent and announces; nothing is claimed without its ResourceStarting/Started). */
  | ({ type: "PROBE"; run?: boolean } & Cause)
  | ({ type: "CLEANUP" } & Cause)
  | ({ type: "UNBLOCK" } & Cause);
type MonitorDue = { type: "MONITOR_DUE"; index: number };
export type GroupEvent = GroupCommand | MonitorDue;

const LEASE_IN_DOUBT = "this node was stalled past its lease and the controller has not decided yet: stopping instead of starting on its own";
const monitorTimerId = (i: number) => `monitor-${i}`;
const ok = (r: ActionResult) => r.rc === OCF.SUCCESS;
const causeOf = (e: GroupEvent, fallback: string) => ("cause" in e && e.cause) || fallback;

export const groupMachine = setup({
  types: {
    input: {} as GroupInput,
    context: {} as GroupContext,
    events: {} as GroupEvent,
    emitted: {} as GroupNotice,
  },
  actors: { resourceOp: resourceOpMachine },
  guards: {
    stopWanted: ({ context }) => context.goal === "stopped",
    startWanted: ({ context }) => context.goal === "started",
    allStarted: ({ context }) => nextToStart(context) === undefined,
    moreToStop: ({ context }) => nextToStop(context) !== undefined,
    recovering: ({ context }) => context.purpose === "recover",
    failing: ({ context }) => context.purpose === "fail",
    thresholdReached: ({ context }) => anyAtThreshold(context),
    monitorQueued: ({ context }) => context.monitorQueue.length > 0,
    probeLeft: ({ context }) => context.cursor < context.slots.length,
    probeRun: ({ context }) => context.probeRun,
    foundAllStopped: ({ context }) => context.slots.every((s) => s.state === "stopped"),
    foundStartablePrefix: ({ context }) => runningIsPrefix(context),
    leaseInDoubt: ({ context }) => !context.leaseSound(),
  },
  actions: {
    beginStart: assign({ goal: "started", purpose: "stop", cause: ({ event }) => causeOf(event, "START command"), nextCause: null }),
    beginStop: assign({ goal: "stopped", purpose: "stop", stopDownTo: 0, cause: ({ event }) => causeOf(event, "STOP command"), nextCause: null }),
    wantStarted: assign({ goal: "started" }),
    wantStopped: assign({ goal: "stopped" }),
    pickStart: assign({ cursor: ({ context }) => nextToStart(context)! }),
    pickStop: assign({ cursor: ({ context }) => nextToStop(context)! }),
    markStarting: assign({ slots: ({ context }) => withSlot(context, context.cursor, { state: "starting" }) }),
    markStarted: assign({ slots: ({ context }) => withSlot(context, context.cursor, { state: "started", adopted: false }) }),
    markFound: assign({ slots: ({ context }) => withSlot(context, context.cursor, { state: "started", adopted: true }) }),
    markStopping: assign({ slots: ({ context }) => withSlot(context, context.cursor, { state: "stopping" }) }),
    markStopped: assign({ slots: ({ context }) => withSlot(context, context.cursor, { state: "stopped", adopted: false }) }),
    // The whole group stops instead, and the controller decides what follows (stall-first).
    stopForLease: assign({ goal: "stopped", purpose: "stop", stopDownTo: 0, nextCause: null, cause: LEASE_IN_DOUBT }),
    emitGroupStarting: emit(({ context }) => groupNotice(context, "GroupStarting")),
    emitGroupStarted: emit(({ context }) => groupNotice(context, "GroupStarted")),
    emitGroupStopping: emit(({ context }) => groupNotice(context, "GroupStopping")),
    emitGroupStopped: emit(({ context }) => groupNotice(context, "GroupStopped")),
    emitResourceStarting: emit(({ context }) => resourceNotice(context, "ResourceStarting")),
    emitResourceStarted: emit(({ context }) => resourceNotice(context, "ResourceStarted")),
    emitResourceStopping: emit(({ context }) => resourceNotice(context, "ResourceStopping")),
    emitResourceStopped: emit(({ context }) => resourceNotice(context, "ResourceStopped")),
    resetFailcounts: assign({ slots: ({ context }) => context.slots.map((s) => ({ ...s, failcount: 0 })) }),
    scheduleAllMonitors: enqueueActions(({ context, enqueue }) => {
      context.slots.forEach((_, i) => {
        const every = monitorIntervalFor(context, i);
        if (every > 0) enqueue.raise({ type: "MONITOR_DUE", index: i }, { delay: every, id: monitorTimerId(i) });
      });
    }),
    cancelAllMonitors: enqueueActions(({ context, enqueue }) => {
      context.slots.forEach((_, i) => enqueue.cancel(monitorTimerId(i)));
      enqueue.assign({ monitorQueue: [] });
    }),
    queueMonitor: assign({
      monitorQueue: ({ context, event }) => {
        const i = (event as MonitorDue).index;
        return context.monitorQueue.includes(i) ? context.monitorQueue : [...context.monitorQueue, i];
      },
    }),
    dequeueMonitor: assign({
      cursor: ({ context }) => context.monitorQueue[0]!,
      monitorQueue: ({ context }) => context.monitorQueue.slice(1),
    }),
    // Pacemaker reschedules a recurring monitor one interval after the previous one completed.
    scheduleMonitor: enqueueActions(({ context, enqueue }) => {
      const every = monitorIntervalFor(context, context.cursor);
      if (every > 0) enqueue.raise({ type: "MONITOR_DUE", index: context.cursor }, { delay: every, id: monitorTimerId(context.cursor) });
    }),
  },
}).createMachine({
  id: "group",
  context: ({ input }) => initialContext(input),
  initial: "stopped",
  on: { CLEANUP: { actions: "resetFailcounts" } },
  states: {
    stopped: {
      on: {
        START: { target: "starting", actions: ["beginStart", "emitGroupStarting"] },
        PROBE: {
          target: "probing",
          actions: assign({ cursor: 0, probeRun: ({ event }) => event.run ?? false, cause: ({ event }) => causeOf(event, "probe at agent start") }),
        },
      },
    },

    // Learn the real state of every resource (OCF probe: a monitor with rc 0 = running, 7 = stopped).
    probing: {
      initial: "next",
      on: {
        // The goal follows too: the controller sends STOP only when the goal is not stopped, so a START
        // here that left it "stopped" could never be taken back (found by the simulator, seed 47).
        START: { actions: ["wantStarted", assign({ probeRun: true, cause: ({ event }) => causeOf(event, "placed here") })] },
        STOP: { actions: ["wantStopped", assign({ probeRun: false, cause: ({ event }) => causeOf(event, "not placed here") })] },
      },
      states: {
        next: {
          always: [
            { guard: "probeLeft", target: "acting" },
            { guard: and(["foundAllStopped", not("probeRun")]), target: "#group.stopped" },
            // Only a group without resources: whatever the probe found running is started again (adopted).
            { guard: and(["probeRun", "allStarted"]), target: "#group.running", actions: [assign({ goal: "started" }), "emitGroupStarted"] },
            { guard: and(["probeRun", "foundStartablePrefix", not("thresholdReached")]), target: "#group.starting", actions: [assign({ goal: "started" }), "emitGroupStarting"] },
            // Partly active, or something failed: stop it cleanly; start again afterwards if placement wants it here.
            {
              target: "#group.stopping",
              actions: [assign({ goal: ({ context }) => (context.probeRun ? "started" : "stopped"), purpose: "stop", stopDownTo: 0, nextCause: null }), "emitGroupStopping"],
            },
          ],
        },
        acting: {
          invoke: {
            src: "resourceOp",
            input: ({ context }) => opInput(context, "monitor"),
            onDone: [
              { guard: ({ event }) => event.output.rc === OCF.SUCCESS, target: "next", actions: ["markFound", assign({ cursor: ({ context }) => context.cursor + 1 })] },
              { guard: ({ event }) => event.output.rc === OCF.NOT_RUNNING, target: "next", actions: ["markStopped", assign({ cursor: ({ context }) => context.cursor + 1 })] },
              {
                target: "next",
                actions: [
                  assign(({ context }) => failed(context)),
                  emit(({ context, event }) => failureNotice(context, "monitor", event.output)),
                  assign({ cursor: ({ context }) => context.cursor + 1 }),
                ],
              },
            ],
          },
        },
      },
    },

    starting: {
      initial: "next",
      on: { STOP: { actions: ["wantStopped", assign({ cause: ({ event }) => causeOf(event, "STOP command") })] }, START: { actions: "wantStarted" } },
      states: {
        next: {
          always: [
            { guard: "stopWanted", target: "#group.stopping", actions: ["beginStop", "emitGroupStopping"] },
            { guard: and(["allStarted", "recovering"]), target: "#group.running" },
            { guard: "allStarted", target: "#group.running", actions: "emitGroupStarted" },
            { guard: "leaseInDoubt", target: "#group.stopping", actions: ["stopForLease", "emitGroupStopping"] },
            { target: "acting", actions: "pickStart" },
          ],
        },
        acting: {
          entry: ["markStarting", "emitResourceStarting"],
          invoke: {
            src: "resourceOp",
            input: ({ context }) => opInput(context, "start"),
            onDone: [
              { guard: ({ event }) => ok(event.output), target: "next", actions: ["markStarted", "emitResourceStarted"] },
              // A failed start is never retried here: unwind what runs and let placement choose another node.
              {
                target: "#group.stopping",
                actions: [
                  assign(({ context }) => failed(context, context.startFailureIsFatal)),
                  assign(({ context }) => ({ purpose: "fail" as const, stopDownTo: 0, cause: `start of ${context.slots[context.cursor]!.id} failed` })),
                  emit(({ context, event }) => failureNotice(context, "start", event.output)),
                  "emitGroupStopping",
                ],
              },
            ],
          },
        },
      },
    },

    running: {
      initial: "idle",
      entry: [assign({ purpose: "stop" }), "scheduleAllMonitors"],
      exit: "cancelAllMonitors",
      on: {
        MONITOR_DUE: { actions: "queueMonitor" },
        STOP: { target: "stopping", actions: ["beginStop", "emitGroupStopping"] },
      },
      states: {
        idle: { always: { guard: "monitorQueued", target: "monitoring", actions: "dequeueMonitor" } },
        monitoring: {
          invoke: {
            src: "resourceOp",
            input: ({ context }) => opInput(context, "monitor"),
            onDone: [
              { guard: ({ event }) => ok(event.output), target: "idle", actions: "scheduleMonitor" },
              // rc 7 here is a failure too: the resource stopped behind our back.
              {
                guard: ({ context }) => failureMigrates(context),
                target: "#group.stopping",
                actions: [
                  assign(({ context }) => failed(context)),
                  assign(({ context }) => ({ cause: `${context.slots[context.cursor]!.id} reached its migration threshold` })),
                  emit(({ context, event }) => failureNotice(context, "monitor", event.output)),
                  assign({ purpose: "fail", stopDownTo: 0 }),
                  "emitGroupStopping",
                ],
              },
              {
                target: "#group.stopping",
                actions: [
                  assign(({ context }) => failed(context)),
                  assign(({ context }) => ({ cause: `recovering ${context.slots[context.cursor]!.id} in place after a monitor failure` })),
                  emit(({ context, event }) => failureNotice(context, "monitor", event.output)),
                  assign(({ context }) => ({ purpose: "recover" as const, stopDownTo: context.cursor })),
                ],
              },
            ],
          },
        },
      },
    },

    stopping: {
      initial: "next",
      on: {
        // The stop's own notices keep the stop's cause; the start that follows gets this one.
        START: { actions: ["wantStarted", assign({ nextCause: ({ event }) => causeOf(event, "START command") })] },
        // A STOP during an in-place recovery widens it to the whole group.
        STOP: [
          { guard: "recovering", actions: ["beginStop", "emitGroupStopping"] },
          { actions: ["wantStopped", assign({ cause: ({ event }) => causeOf(event, "STOP command"), nextCause: null })] },
        ],
      },
      states: {
        next: {
          always: [
            { guard: "moreToStop", target: "acting", actions: "pickStop" },
            // An in-place recovery right after a stall (a monitor that fell due while the process was
            // stopped finds the address gone) must not bring it back before the controller's stop.
            { guard: and(["recovering", "leaseInDoubt"]), target: "#group.stopping", reenter: true, actions: ["stopForLease", "emitGroupStopping"] },
            { guard: "recovering", target: "#group.starting", actions: assign({ nextCause: null }) },
            { guard: "failing", target: "#group.failed", actions: "emitGroupStopped" },
            { guard: and(["startWanted", "thresholdReached"]), target: "#group.failed", actions: "emitGroupStopped" },
            { guard: and(["startWanted", "leaseInDoubt"]), target: "#group.stopped", actions: [assign({ goal: "stopped", nextCause: null }), "emitGroupStopped"] },
            {
              guard: "startWanted",
              target: "#group.starting",
              actions: ["emitGroupStopped", assign(({ context }) => ({ cause: context.nextCause ?? context.cause, nextCause: null })), "emitGroupStarting"],
            },
            { target: "#group.stopped", actions: "emitGroupStopped" },
          ],
        },
        acting: {
          entry: ["markStopping", "emitResourceStopping"],
          invoke: {
            src: "resourceOp",
            input: ({ context }) => opInput(context, "stop"),
            onDone: [
              { guard: ({ event }) => ok(event.output), target: "next", actions: ["markStopped", "emitResourceStopped"] },
              // A failed stop is never ignored (heartbeat/Pacemaker): the resource may still run here.
              {
                target: "#group.blocked",
                actions: [
                  assign(({ context }) => failed(context)),
                  assign(({ context, event }) => ({ cause: `stop of ${context.slots[context.cursor]!.id} failed: ${event.output.message}` })),
                  emit(({ context, event }) => failureNotice(context, "stop", event.output)),
                  emit(({ context }): GroupNotice => ({ type: "GroupBlocked", group: context.group, reason: context.cause, cause: context.cause })),
                  emit(({ context }): GroupNotice => ({ type: "FenceRequested", victim: context.node, cause: context.cause })),
                ],
              },
            ],
          },
        },
      },
    },

    failed: {
      on: {
        // Everything was stopped cleanly before `failed`, so cleanup only forgets the failures.
        CLEANUP: {
          target: "stopped",
          actions: ["resetFailcounts", assign({ slots: ({ context }) => context.slots.map((s) => ({ ...s, state: "stopped" as const })) })],
        },
      },
    },

    // The node is being fenced; what runs is unknown. Leaving re-probes and stops cleanly what is found.
    blocked: {
      on: {
        CLEANUP: { target: "probing", actions: ["resetFailcounts", assign({ cursor: 0, probeRun: false, goal: "stopped" })] },
        UNBLOCK: { target: "probing", actions: assign({ cursor: 0, probeRun: false, goal: "stopped" }) },
      },
    },
  },
});

export type GroupMachine = typeof groupMachine;
