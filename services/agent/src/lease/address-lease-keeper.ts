// The main thread's handle on the lease worker: IPaddr holds and releases addresses through it, and
// the controller asks it whether this node was stalled past its lease (`lapses`, `unconfirmed`)
// before it decides anything.
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";
import { leaseKey, type AddressLease, type LeasedAddress } from "@vigil/resource-agents/ipaddr/address-lease";
import { stalledPastLease, type LeaseTiming } from "./lease-timing.js";
import { LAPSES, LAST_GAP_MS, LAST_TICK, SHARED_SLOTS, type FromLeaseWorker, type LeaseWorkerData, type ToLeaseWorker } from "./lease-protocol.js";

export interface AddressLeaseKeeperEvents {
  lapsed: [{ gapMs: number; dropped: string[]; failures: string[] }];
  "renew-failed": [string];
  /** The worker died: addresses are no longer renewed and will expire. */
  error: [Error];
}

export class AddressLeaseKeeper extends EventEmitter<AddressLeaseKeeperEvents> implements AddressLease {
  readonly lifetimeS: number;
  private readonly shared = new SharedArrayBuffer(SHARED_SLOTS * 8);
  private readonly cells = new BigInt64Array(this.shared);
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, () => void>();

  constructor(
    readonly timing: LeaseTiming,
    private readonly workerUrl = new URL("./lease-worker.js", import.meta.url),
  ) {
    super();
    this.lifetimeS = timing.lifetimeS;
  }

  start(): void {
    const data: LeaseWorkerData = { timing: this.timing, shared: this.shared };
    const w = new Worker(this.workerUrl, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 } });
    this.worker = w;
    w.on("message", (m: FromLeaseWorker) => {
      if (m.type === "released") {
        this.waiting.get(m.id)?.();
        this.waiting.delete(m.id);
      } else if (m.type === "lapsed") {
        this.emit("lapsed", { gapMs: m.gapMs, dropped: m.dropped, failures: m.failures });
      } else if (m.type === "renew-failed") this.emit("renew-failed", m.message);
    });
    w.on("error", (e) => this.fail(e));
    w.on("exit", (code) => {
      if (this.worker === w) this.fail(new Error(`lease worker exited (code ${code})`));
    });
  }

  hold(address: LeasedAddress): void {
    this.send({ type: "hold", address: { ...address, wrap: [...address.wrap] } });
  }

  release(a: Pick<LeasedAddress, "wrap" | "ip">): Promise<void> {
    if (!this.worker) return Promise.resolve();
    const id = ++this.nextId;
    return new Promise<void>((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ type: "release", key: leaseKey(a), wrap: [...a.wrap], id });
    });
  }

  /** The last stall past the lease, in ms (for the reason the controller records). */
  get lastGapMs(): number {
    return Number(Atomics.load(this.cells, LAST_GAP_MS));
  }

  /** How many times the worker found the agent stalled past its lease. */
  lapses(): number {
    return Number(Atomics.load(this.cells, LAPSES));
  }

  /** The worker has not ticked for longer than a stall past the lease: the process was just thawed
   *  and the worker has not run yet. Its verdict (a lapse or not) comes within one tick. */
  unconfirmed(): boolean {
    const last = Atomics.load(this.cells, LAST_TICK);
    return last !== 0n && stalledPastLease(Number(process.hrtime.bigint() - last) / 1e6, this.timing);
  }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    const exited = new Promise<void>((r) => w.once("exit", () => r()));
    w.postMessage({ type: "stop" } satisfies ToLeaseWorker);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
    await w.terminate();
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
  }

  private send(m: ToLeaseWorker): void {
    this.worker?.postMessage(m);
  }

  private fail(e: Error): void {
    this.worker = null;
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
    this.emit("error", e);
  }
}
