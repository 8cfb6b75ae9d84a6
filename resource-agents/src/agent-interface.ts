// The one interface every resource agent implements (OCF's action set). Results use OCF's exit codes
// so that native agents, OCF scripts and LSB scripts can be driven by the same group machine.

export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
} as const;
export type OcfRc = (typeof OCF)[keyof typeof OCF];

export type Action = "start" | "stop" | "monitor" | "validate" | "meta-data";

export interface ActionResult {
  rc: number;
  /** What went wrong or what was done, for the event log and `vigil status`. */
  message: string;
}

export interface ActionOptions {
  /** Abort the action after this many milliseconds; the caller treats it as a failure (OCF rc 1). */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ParameterInfo {
  name: string;
  description: string;
  required: boolean;
  default?: string;
}

export interface AgentMetadata {
  name: string;
  description: string;
  /** Positional haresources arguments (`Name::a::b`) in order, or named ones for ocf agents. */
  parameters: ParameterInfo[];
  /** Default timeouts and monitor interval, in milliseconds. */
  timeouts: { start: number; stop: number; monitor: number };
  monitorIntervalMs: number;
}

/** A configured resource: an agent bound to its haresources arguments. Every action is idempotent:
 *  start on a running resource succeeds, stop on a stopped one succeeds. */
export interface Resource {
  readonly id: string;
  readonly meta: AgentMetadata;
  start(opts: ActionOptions): Promise<ActionResult>;
  stop(opts: ActionOptions): Promise<ActionResult>;
  monitor(opts: ActionOptions): Promise<ActionResult>;
  /** Checks arguments before anything runs; rc 2 (ERR_ARGS) or 6 with a message naming the argument. */
  validate(): ActionResult;
}
