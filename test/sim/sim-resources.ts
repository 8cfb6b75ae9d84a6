// The production group machine as the simulator runs it, and the resources it drives. The machine
// and its resource-op machine (the op timeout) run unchanged on the node's simulated clock
// (sim-timers.ts); only the leaf that calls the resource agent, resource-op's
// `runAction` actor, is provided here (xstate's `provide`). In production that leaf awaits a promise,
// which needs the microtask queue; here an action is an event in the simulator's queue that completes
// synchronously after a scripted delay with a scripted result.
import type { PromiseActorLogic } from "xstate";
import { OCF, type ActionResult, type AgentMetadata, type Resource } from "@vigil/resource-agents/agent-interface";
import { groupMachine } from "@vigil/agent/groups/group-machine";
import { resourceOpMachine, type ResourceOpInput } from "@vigil/agent/groups/resource-op";
import type { ResourceOp } from "@vigil/agent/groups/group-context";

/** What a resource physically is on its host, whatever the agent believes: an address configured, a
 *  disk mounted. `unknown`: a start or stop failed or was killed at its timeout; it may still hold. */
export type Physical = "stopped" | "starting" | "started" | "stopping" | "unknown";

/** One call of a resource action, as a script sees it. `nth`: 1 for this node's first call of `op` on
 *  this resource, counted across the node's lives. */
export interface ResourceCall {
  node: string;
  group: string;
  resource: string;
  op: ResourceOp;
  nth: number;
  at: number;
}

/** A script's answer; what it leaves out is the default (the options' delay, success, a monitor that
 *  reports the physical state). `hang`: the action never returns (its op timeout decides). */
export interface Answer {
  ms?: number;
  rc?: number;
  hang?: boolean;
}
export type ResourceScript = (call: ResourceCall) => Answer | undefined;

/** Where a resource's actions run: the simulator. Returns a cancel (the agent killed the action). */
export interface ActionHost {
  act(r: SimResource, op: ResourceOp, timeoutMs: number, done: (r: ActionResult) => void): () => void;
  /** A resource began or ceased to hold (its `holds` changed): the one-holder check looks again. */
  holdsChanged?(): void;
}

export class SimResource implements Resource {
  private state: Physical = "stopped";
  constructor(
    readonly id: string,
    readonly node: string,
    readonly group: string,
    readonly meta: AgentMetadata,
    readonly host: ActionHost,
  ) {}
  get physical(): Physical {
    return this.state;
  }
  set physical(p: Physical) {
    const held = this.holds;
    this.state = p;
    if (this.holds !== held) this.host.holdsChanged?.();
  }
  /** Physically present, in whole or in part. */
  get holds(): boolean {
    return this.state !== "stopped";
  }
  // The simulator runs actions through `simulatedAction`, never through these promises.
  start(): Promise<ActionResult> {
    return notHere();
  }
  stop(): Promise<ActionResult> {
    return notHere();
  }
  monitor(): Promise<ActionResult> {
    return notHere();
  }
  validate(): ActionResult {
    return { rc: OCF.SUCCESS, message: "" };
  }
}

const notHere = () => Promise.reject(new Error("a simulated resource acts through the simulator's queue"));

type Snap = ReturnType<PromiseActorLogic<ActionResult, ResourceOpInput>["getInitialSnapshot"]>;

/** resource-op's `runAction`, completed by the simulator: a promise actor's snapshots, without the promise. */
const simulatedAction: PromiseActorLogic<ActionResult, ResourceOpInput> = {
  getInitialSnapshot: (_scope, input) => ({ status: "active", output: undefined, error: undefined, input }) as Snap,
  start: (snap, { self }) => {
    if (snap.status !== "active" || !snap.input) return;
    const { resource, op, timeoutMs } = snap.input;
    if (!(resource instanceof SimResource)) throw new Error(`${resource.id} is not a simulated resource`);
    cancels.set(self, resource.host.act(resource, op, timeoutMs, (result) => self.send({ type: "sim.done", result })));
  },
  transition: (snap, event, { self }) => {
    if (snap.status !== "active") return snap;
    if (event.type === "sim.done") {
      cancels.delete(self);
      return { status: "done", output: event.result as ActionResult, error: undefined, input: undefined } as Snap;
    }
    if (event.type === "xstate.stop") {
      cancels.get(self)?.();
      cancels.delete(self);
      return { ...snap, status: "stopped", input: undefined } as Snap;
    }
    return snap;
  },
  getPersistedSnapshot: (snap) => snap,
};
const cancels = new WeakMap<object, () => void>();

/** The production group machine, its resource actions run by the simulator. */
export const simGroupMachine = groupMachine.provide({
  actors: { resourceOp: resourceOpMachine.provide({ actors: { runAction: simulatedAction } }) },
});
