// One resource action (start, stop or monitor) bounded by its timeout. The timeout is an XState `after`
// delay, so the actor system's clock (a SimulatedClock in tests) decides when it fires. When the timer
// wins, this machine finishes, XState stops the promise actor, and its AbortSignal reaches the agent,
// which kills the action's process. A timed-out or thrown action counts as OCF rc 1, as Pacemaker
// treats an operation timeout as a failure.
import { assign, fromPromise, setup } from "xstate";
import { OCF, type ActionResult, type Resource } from "@vigil/resource-agents/agent-interface";
import type { ResourceOp } from "./group-context.js";

export interface ResourceOpInput {
  resource: Resource;
  op: ResourceOp;
  timeoutMs: number;
}

const runAction = fromPromise<ActionResult, ResourceOpInput>(({ input, signal }) =>
  input.resource[input.op]({ timeoutMs: input.timeoutMs, signal }),
);

export const resourceOpMachine = setup({
  types: {
    input: {} as ResourceOpInput,
    context: {} as ResourceOpInput & { result: ActionResult },
    output: {} as ActionResult,
  },
  actors: { runAction },
  delays: { opTimeout: ({ context }) => context.timeoutMs },
}).createMachine({
  id: "resourceOp",
  context: ({ input }) => ({ ...input, result: { rc: OCF.ERR_GENERIC, message: "not run" } }),
  initial: "running",
  states: {
    running: {
      invoke: {
        src: "runAction",
        input: ({ context }) => context,
        onDone: {
          target: "done",
          actions: assign({ result: ({ event }) => normalise(event.output) }),
        },
        onError: {
          target: "done",
          actions: assign({
            result: ({ event }) => ({ rc: OCF.ERR_GENERIC, message: `${errorText(event.error)}` }),
          }),
        },
      },
      after: {
        opTimeout: {
          target: "done",
          actions: assign({
            result: ({ context }) => ({
              rc: OCF.ERR_GENERIC,
              message: `${context.op} timed out after ${context.timeoutMs} ms`,
            }),
          }),
        },
      },
    },
    done: { type: "final" },
  },
  output: ({ context }) => context.result,
});

/** An agent that resolves with something that is not an ActionResult is a bug in the agent, not a success. */
function normalise(r: unknown): ActionResult {
  if (r && typeof r === "object" && typeof (r as ActionResult).rc === "number") {
    const { rc, message } = r as ActionResult;
    return { rc, message: typeof message === "string" ? message : "" };
  }
  return { rc: OCF.ERR_GENERIC, message: "agent returned no result" };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
