// Messages between the main thread (AddressLeaseKeeper) and the lease worker: plain data only.
import type { LeasedAddress } from "@vigil/resource-agents/ipaddr/address-lease";
import type { LeaseTiming } from "./lease-timing.js";

export interface LeaseWorkerData {
  timing: LeaseTiming;
  /** [0]: the worker's last tick (CLOCK_MONOTONIC ns, 0 before its first); [1]: stalls past the lease
   *  so far; [2]: the last such stall, in ms (read with [1], before the worker's message arrives). */
  shared: SharedArrayBuffer;
}

export const SHARED_SLOTS = 3;
export const LAST_TICK = 0;
export const LAPSES = 1;
export const LAST_GAP_MS = 2;

export type ToLeaseWorker =
  | { type: "hold"; address: LeasedAddress }
  | { type: "release"; key: string; wrap: string[]; id: number }
  | { type: "stop" };

export type FromLeaseWorker =
  | { type: "released"; id: number }
  /** The worker found itself stalled past the lease: it stopped renewing everything it held and
   *  removed what was still there (`failures`: addresses it could not remove, with why). */
  | { type: "lapsed"; gapMs: number; dropped: string[]; failures: string[] }
  | { type: "renew-failed"; message: string };
