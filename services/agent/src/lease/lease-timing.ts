// The agent's address lease, one rule, pure. The lease worker renews the kernel lifetime of every
// address the agent holds, and ticks on its own timer; a gap between its ticks longer than
// `tickMs + stallLimitMs` means the whole agent was stopped (SIGSTOP, a VM pause): a busy main thread
// does not stop the worker. Both threads judge a gap by `stalledPastLease`. The numbers themselves
// (leaseTiming, fenceWindowMs) are derived beside the timing profiles: @vigil/shared/config/derived-timing.
import type { LeaseTiming } from "@vigil/shared/config/derived-timing";

export type { LeaseTiming } from "@vigil/shared/config/derived-timing";

/** Whether a gap between two lease ticks means the agent was stalled past its lease. */
export const stalledPastLease = (gapMs: number, t: LeaseTiming): boolean => gapMs > t.tickMs + t.stallLimitMs;
