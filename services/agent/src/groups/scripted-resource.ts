// A Resource whose every answer the test decides: for group machine tests and the agent's own tests.
// Without a script it behaves like OCF's Dummy agent (start/stop flip a flag, monitor reports it).
// A scripted answer may be a result, "hang" (never settles: for timeouts), or a Deferred the test settles.
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "@vigil/resource-agents/agent-interface";

export type ScriptedOp = "start" | "stop" | "monitor";

export interface Deferred {
  promise: Promise<ActionResult>;
  resolve(r: ActionResult): void;
}
export function deferred(): Deferred {
  let resolve!: (r: ActionResult) => void;
  const promise = new Promise<ActionResult>((r) => (resolve = r));
  return { promise, resolve };
}

export type Answer = ActionResult | "hang" | Deferred;

export interface Call {
  resource: string;
  op: ScriptedOp;
  timeoutMs: number;
  signal?: AbortSignal;
}

export class ScriptedResource implements Resource {
  readonly meta: AgentMetadata;
  running = false;
  readonly script: Record<ScriptedOp, Answer[]> = { start: [], stop: [], monitor: [] };

  constructor(
    readonly id: string,
    /** Shared between the resources of a group, so a test can assert the order across them. */
    readonly calls: Call[],
    meta: Partial<AgentMetadata> = {},
  ) {
    this.meta = {
      name: "Scripted",
      description: "test resource",
      parameters: [],
      timeouts: { start: 20_000, stop: 20_000, monitor: 10_000 },
      monitorIntervalMs: 10_000,
      ...meta,
    };
  }

  /** Queue answers for the next calls of `op`, in order. */
  next(op: ScriptedOp, ...answers: Answer[]): this {
    this.script[op].push(...answers);
    return this;
  }

  start(opts: ActionOptions) {
    return this.run("start", opts, () => ((this.running = true), { rc: OCF.SUCCESS, message: "started" }));
  }
  stop(opts: ActionOptions) {
    return this.run("stop", opts, () => ((this.running = false), { rc: OCF.SUCCESS, message: "stopped" }));
  }
  monitor(opts: ActionOptions) {
    return this.run("monitor", opts, () =>
      this.running ? { rc: OCF.SUCCESS, message: "running" } : { rc: OCF.NOT_RUNNING, message: "not running" },
    );
  }
  validate(): ActionResult {
    return { rc: OCF.SUCCESS, message: "" };
  }

  private run(op: ScriptedOp, opts: ActionOptions, dummy: () => ActionResult): Promise<ActionResult> {
    this.calls.push({ resource: this.id, op, timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    const answer = this.script[op].shift();
    if (answer === undefined) return Promise.resolve(dummy());
    if (answer === "hang") return new Promise<ActionResult>(() => {});
    if ("promise" in answer) return answer.promise;
    return Promise.resolve(answer);
  }
}
