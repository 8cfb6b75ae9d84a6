// The thin shell around health-checker.ts: one timer per checked real server, probes through the
// injected prober, and a callback whenever the set of live servers changes. All decisions are in the
// pure checker; this file only turns its effects into timers and sockets.
import { performance } from "node:perf_hooks";
import { type CheckerEffect, type CheckerInput, type CheckerState, initChecker, stepChecker } from "./health-checker.js";
import type { Prober } from "./probes.js";
import { type RealServer, serverKey, type VirtualService } from "./virtual-service.js";

export interface LiveChange {
  server: string;
  alive: boolean;
  detail: string;
  live: ReadonlySet<string>;
}

export interface ServerHealth {
  server: string;
  alive: boolean;
  detail: string;
}

export interface CheckRunnerOptions {
  prober: Prober;
  onChange: (change: LiveChange) => void;
  /** Monotonic milliseconds; performance.now() unless a test drives time. */
  clock?: () => number;
}

interface Slot {
  rs: RealServer;
  state: CheckerState;
  timer: NodeJS.Timeout | undefined;
}

export class CheckRunner {
  private readonly slots: Slot[] = [];
  private running = false;
  private readonly clock: () => number;

  constructor(
    private readonly service: VirtualService,
    private readonly opts: CheckRunnerOptions,
  ) {
    this.clock = opts.clock ?? (() => performance.now());
  }

  /** Servers that take traffic now: every unchecked server (keepalived counts it alive) plus the checked ones that are up. */
  live(): Set<string> {
    const live = new Set<string>();
    for (const rs of this.service.realServers) if (!rs.check) live.add(serverKey(rs));
    for (const s of this.slots) if (s.state.alive) live.add(serverKey(s.rs));
    return live;
  }

  /** The live set start() begins with, before any check ran. */
  static initialLive(service: VirtualService): Set<string> {
    return new Set(service.realServers.filter((rs) => !rs.check || !service.alpha).map(serverKey));
  }

  health(): ServerHealth[] {
    return this.service.realServers.map((rs) => {
      const slot = this.slots.find((s) => s.rs === rs);
      return slot
        ? { server: serverKey(rs), alive: slot.state.alive, detail: slot.state.lastDetail }
        : { server: serverKey(rs), alive: true, detail: "no health check" };
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock();
    for (const rs of this.service.realServers) {
      if (!rs.check) continue;
      const slot: Slot = { rs, state: initChecker(now, this.service.alpha), timer: undefined };
      this.slots.push(slot);
      this.feed(slot, { kind: "tick" });
    }
  }

  stop(): void {
    this.running = false;
    for (const s of this.slots) clearTimeout(s.timer);
    this.slots.length = 0;
  }

  private feed(slot: Slot, input: CheckerInput): void {
    if (!this.running || !this.slots.includes(slot)) return; // a probe that finished after stop()
    const rs = slot.rs;
    const check = rs.check;
    if (!check) return;
    const cfg = { delayLoopMs: this.service.delayLoopMs, retry: check.retry, delayBeforeRetryMs: check.delayBeforeRetryMs };
    const step = stepChecker(cfg, slot.state, input, this.clock());
    slot.state = step.state;
    for (const e of step.effects) this.act(slot, e);
    if (slot.state.dueAt !== null) {
      clearTimeout(slot.timer);
      const wait = Math.max(0, slot.state.dueAt - this.clock());
      slot.timer = setTimeout(() => this.feed(slot, { kind: "tick" }), wait);
    }
  }

  private act(slot: Slot, e: CheckerEffect): void {
    const rs = slot.rs;
    if (e.kind === "run-check") {
      const check = rs.check;
      if (!check) return;
      void this.opts
        .prober(check, rs.ip, rs.port)
        .catch((err: unknown) => ({ ok: false, detail: `check failed: ${String(err)}` }))
        .then((r) => this.feed(slot, { kind: "result", ok: r.ok, detail: r.detail }));
      return;
    }
    this.opts.onChange({ server: serverKey(rs), alive: e.kind === "came-up", detail: e.detail, live: this.live() });
  }
}
