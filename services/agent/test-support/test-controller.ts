// One node's controller for unit tests: real group machines over the given (scripted) resources, an
// empty log view, and every event it records kept in `events`. Tests override what they script
// (witness, lease, tie-breaker, clock) through `over`.
import { pino } from "pino";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent, type VigilEvent } from "@vigil/shared/events/vocabulary";
import type { Resource } from "@vigil/resource-agents/agent-interface";
import { Controller, type ControllerDeps } from "../src/cluster/controller.js";

export function testController(
  cfg: ClusterConfig,
  self: string,
  resources: ReadonlyMap<string, readonly Resource[]>,
  over: Partial<ControllerDeps> = {},
): { c: Controller; events: VigilEvent[] } {
  const events: VigilEvent[] = [];
  let id = 0;
  const deps: ControllerDeps = {
    cfg,
    self,
    log: pino({ level: "silent" }),
    view: emptyView("c"),
    resources,
    record: (type, body, cause) => {
      const e = makeEvent(type, body, { id: `t.${++id}`, node: self, time: Date.now(), cause });
      events.push(e);
      return e;
    },
    append: (e) => void events.push(e),
    nextId: () => `t.${++id}`,
    setPayload: () => {},
    witness: () => false,
    now: () => Date.now(),
    failbackStableMs: 0,
    ...over,
  };
  return { c: new Controller(deps), events };
}
