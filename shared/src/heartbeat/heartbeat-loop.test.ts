// The heartbeat loop with time as an input: the rules the worker thread and the simulator both run.
import { describe, expect, it } from "vitest";
import { TIMING_PROFILES } from "../config/timing-profiles.js";
import { initLoop, stallThresholdMs, step, tickMs, type LoopConfig, type LoopEffect, type LoopInput, type LoopPost, type LoopState } from "./heartbeat-loop.js";
import { PROBE_ENVELOPE, takenEnvelope, wrapHeartbeatPayload } from "./envelope.js";
import { nextDeadline } from "./failure-detector.js";
import type { WirePacket } from "./admit.js";
import { nodeReport } from "./node-report.js";

const fast = TIMING_PROFILES.fast; // keepalive 50, warntime 100, deadtime 200, initdead 2000
const haCf = { cluster: "c1", nodes: ["n1", "n2", "n3"], ...fast };
const config = (over: Partial<LoopConfig> = {}): LoopConfig => ({
  node: "n2",
  generation: 3,
  haCf,
  payload: { r: [] },
  listenFirstMs: 100,
  announceOnStart: true,
  statsIntervalMs: 5_000,
  ...over,
});

/** A loop and everything it did, fed one input at a time at a given instant. */
class Loop {
  s: LoopState;
  fx: LoopEffect[] = [];
  constructor(cfg: LoopConfig, now = 0) {
    this.s = initLoop(cfg, now);
  }
  feed(input: LoopInput, now: number): LoopEffect[] {
    const r = step(this.s, input, now);
    this.s = r.state;
    this.fx.push(...r.effects);
    return r.effects;
  }
  /** Sockets open at `now`, listen passed at once: announced at `now`. */
  static announced(over: Partial<LoopConfig> = {}, now = 0): Loop {
    const l = new Loop(config({ listenFirstMs: 0, ...over }), now);
    l.feed({ kind: "opened" }, now);
    l.feed({ kind: "wake", timer: "listen" }, now);
    l.fx = [];
    return l;
  }
}

const sends = (fx: LoopEffect[]) => fx.flatMap((e) => (e.kind === "send" ? [e.packet] : []));
const posts = (fx: LoopEffect[]) => fx.flatMap((e) => (e.kind === "post" ? [e.message] : []));
const wakes = (fx: LoopEffect[], timer: string) => fx.flatMap((e) => (e.kind === "wake" && e.timer === timer ? [e.at] : []));
const transitions = (fx: LoopEffect[]) => posts(fx).flatMap((m) => (m.type === "transition" ? [m.transition] : []));
const payloads = (fx: LoopEffect[]) => posts(fx).flatMap((m) => (m.type === "payload" ? [m.payload] : []));
const heard = (packet: Omit<WirePacket, "cluster">): LoopInput => ({ kind: "heard", packet: { cluster: "c1", ...packet }, medium: "ucast lo", from: "127.0.0.1:694" });

describe("the heartbeat loop: start-up", () => {
  it("listens before announcing: probes every keepalive, then ready, then heartbeats, the detector's timers and the stats", () => {
    const l = new Loop(config());
    const opened = l.feed({ kind: "opened" }, 1000);
    expect(sends(opened)).toEqual([{ node: "n2", cluster: "c1", generation: 3, seq: 1, payload: PROBE_ENVELOPE }]);
    expect(wakes(opened, "probe")).toEqual([1050]);
    expect(wakes(opened, "listen")).toEqual([1100]);
    expect(sends(l.feed({ kind: "wake", timer: "probe" }, 1050)).map((p) => p.payload)).toEqual([PROBE_ENVELOPE]);
    // Nothing a peer says counts while listening.
    expect(l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: wrapHeartbeatPayload({ r: ["g1"] }, {}) }), 1060)).toEqual([]);
    const ready = l.feed({ kind: "wake", timer: "listen" }, 1100);
    expect(posts(ready)[0]).toEqual({ type: "ready" });
    expect(ready).toContainEqual({ kind: "cancel", timer: "probe" });
    expect(sends(ready)).toEqual([{ node: "n2", cluster: "c1", generation: 3, seq: 3, payload: { a: {}, p: { r: [] }, s: 0 } }]);
    // fast: two heartbeats per keepalive on a clean link (warntime < 3 keepalives).
    expect(wakes(ready, "send")).toEqual([1125]);
    expect(wakes(ready, "tick")).toEqual([1100 + tickMs(fast.keepaliveMs)]);
    expect(wakes(ready, "stats")).toEqual([6100]);
    // initdead counts from the announce.
    expect(nextDeadline(l.s.detector)).toBe(1100 + fast.initdeadMs);
    // A probe wake that was already due does nothing once announced.
    expect(l.feed({ kind: "wake", timer: "probe" }, 1150)).toEqual([]);
  });

  it("with announceOnStart false, waits at ready for the main thread's announce", () => {
    const l = new Loop(config({ announceOnStart: false }));
    l.feed({ kind: "opened" }, 0);
    const ready = l.feed({ kind: "wake", timer: "listen" }, 100);
    expect(posts(ready)).toEqual([{ type: "ready" }]);
    expect(sends(ready)).toEqual([]);
    expect(sends(l.feed({ kind: "announce" }, 300)).map((p) => p.payload)).toEqual([{ a: {}, p: { r: [] }, s: 0 }]);
  });

  it("refuses the start when another agent runs in its name, or starts with a generation no higher; not for a later one", () => {
    const other = (generation: number, probing: boolean): LoopInput => ({ kind: "same-name", generation, probing, announcedMs: null, from: "10.0.0.9:694" });
    const listening = () => {
      const l = new Loop(config());
      l.feed({ kind: "opened" }, 0);
      return l;
    };
    const refused = (input: LoopInput) => {
      const l = listening();
      const fx = l.feed(input, 50);
      return { fx, after: [...l.feed({ kind: "wake", timer: "listen" }, 100), ...l.feed({ kind: "payload", payload: 1 }, 110)] };
    };
    const running = refused(other(1, false));
    expect(posts(running.fx)).toEqual([
      {
        type: "start-failed",
        message: "another agent already runs as node n2 (generation 1, heartbeats from 10.0.0.9:694); refusing to start a second one",
        sameName: { generation: 1, from: "10.0.0.9:694", probing: false, announcedMs: null },
      },
    ]);
    expect(running.fx.at(-1)).toEqual({ kind: "stop" });
    expect(running.after).toEqual([]);
    // Both starting: this one (generation 3) gives way to an earlier start and to one of its own
    // generation, not to a later one (that one gives way).
    expect(posts(refused(other(2, true)).fx).map((m) => m.type)).toEqual(["start-failed"]);
    expect(posts(refused(other(3, true)).fx).map((m) => m.type)).toEqual(["start-failed"]);
    expect(refused(other(4, true)).fx).toEqual([]);
  });

  it("after the start another agent of its name is reported, with how long this one has announced itself", () => {
    const l = Loop.announced({}, 1000);
    const fx = l.feed({ kind: "same-name", generation: 9, probing: true, announcedMs: null, from: "10.0.0.9:694" }, 1400);
    expect(posts(fx)).toEqual([{ type: "same-name", other: { generation: 9, from: "10.0.0.9:694", probing: true, announcedMs: null }, announcedMs: 400 }]);
  });
});

describe("the heartbeat loop: what it sends and when", () => {
  it("sends a changed payload at once, an unchanged one not, and nothing before its sockets are open", () => {
    const closed = new Loop(config());
    expect(closed.feed({ kind: "payload", payload: { r: ["g2"] } }, 0)).toEqual([]);
    const l = Loop.announced();
    expect(sends(l.feed({ kind: "payload", payload: { r: ["g2"] } }, 10)).map((p) => p.payload)).toEqual([{ a: {}, p: { r: ["g2"] }, s: 10 }]);
    expect(l.feed({ kind: "payload", payload: { r: ["g2"] } }, 11)).toEqual([]);
  });

  it("stamps each heartbeat with how long ago it read each peer, only within deadtime", () => {
    const l = Loop.announced({ payload: { r: ["g2"] } });
    l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: { a: {}, p: null } }), 10);
    const at = (now: number) => sends(l.feed({ kind: "wake", timer: "send" }, now))[0]!.payload;
    expect(at(40.4)).toEqual({ a: { n1: 30 }, p: { r: ["g2"] }, s: 40 });
    expect(at(10 + fast.deadtimeMs)).toEqual({ a: {}, p: { r: ["g2"] }, s: 210 });
  });

  it("copies that rose bring the next send forward; a packet that does not raise them leaves the send where it was", () => {
    const l = Loop.announced();
    expect(l.s.copies.copies).toBe(2);
    // n1 says it loses 30% of this node's packets: four heartbeats per keepalive, the next at 12.5 ms.
    const lossy = l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: wrapHeartbeatPayload(null, { n2: 3 }, { n2: 30 }) }), 5);
    expect(l.s.copies.copies).toBe(4);
    expect(wakes(lossy, "send")).toEqual([12.5]);
    expect(wakes(l.feed(heard({ node: "n1", generation: 1, seq: 2, payload: wrapHeartbeatPayload(null, { n2: 3 }, { n2: 30 }) }), 8), "send")).toEqual([]);
    // The send counts from the last periodic one.
    const sent = l.feed({ kind: "wake", timer: "send" }, 12.5);
    expect(sends(sent)).toHaveLength(1);
    expect(wakes(sent, "send")).toEqual([25]);
  });
});

describe("the heartbeat loop: what a peer's packet counts for", () => {
  it("takes a peer's payload only from its newest packet, yet a late packet still counts as heard", () => {
    const l = Loop.announced();
    const pkt = (seq: number, r: string[]) => heard({ node: "n1", generation: 1, seq, payload: { r, b: [] } });
    l.feed(pkt(1, []), 1);
    l.feed(pkt(3, ["g2"]), 120); // n1 is late by now
    const late = l.feed(pkt(2, []), 121); // reordered: sent before seq 3
    expect(payloads(l.fx)).toEqual([nodeReport(), nodeReport({ running: ["g2"] })]);
    expect(late).toContainEqual({ kind: "count", outcome: "accepted" });
    expect(transitions(l.fx).map((t) => `${t.peer} ${t.from}→${t.to}`)).toEqual(["n1 init→up"]);
    expect(l.feed(pkt(3, ["g2"]), 122)).toEqual([{ kind: "count", outcome: "duplicate" }]);
  });

  it("drops a packet whose payload is no report, counted as malformed: it is neither heard nor news", () => {
    const l = Loop.announced();
    const fx = l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: wrapHeartbeatPayload({ r: "web", b: [] }, { n2: 0 }) }), 1);
    expect(fx).toEqual([{ kind: "count", outcome: "dropped", reason: "malformed" }]);
    // Nor does it use up its sequence number: the same packet with a report is accepted.
    const ok = l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: wrapHeartbeatPayload({ r: ["web"], b: [] }, { n2: 0 }) }), 2);
    expect(ok).toContainEqual({ kind: "count", outcome: "accepted" });
    expect(payloads(l.fx)).toEqual([nodeReport({ running: ["web"] })]);
    expect(transitions(l.fx).map((t) => `${t.from}→${t.to}`)).toEqual(["init→up"]);
  });

  it("hands a peer's report of this node to the detector: up only while the peer also hears us; a legacy packet counts one way", () => {
    const l = Loop.announced();
    const pkt = (seq: number, a: Record<string, number> | undefined) =>
      heard({ node: "n1", generation: 1, seq, payload: a === undefined ? { r: [], b: [] } : { a, p: { r: [], b: [] } } });
    l.feed(pkt(1, {}), 0);
    l.feed(pkt(2, { n2: 30 }), 40);
    // n1 last read n2's packet warntime + a keepalive (the slack) + 10 ms before: not mutual any more.
    l.feed(pkt(3, { n2: fast.warntimeMs + fast.keepaliveMs + 10 }), 80);
    expect(transitions(l.fx).map((t) => `${t.from}→${t.to}${t.unvouched ? " unvouched" : ""}`)).toEqual(["init→up", "up→late unvouched"]);
    // The report is kept out of the payload: three packets, one payload posted, as the peer set it.
    expect(payloads(l.fx)).toEqual([nodeReport()]);
    l.feed(pkt(4, undefined), 90); // no report at all (an older agent): this node's direction alone
    expect(transitions(l.fx).at(-1)!.to).toBe("up");
  });

  it("counts what the edge dropped only once announced", () => {
    const l = new Loop(config());
    l.feed({ kind: "opened" }, 0);
    expect(l.feed({ kind: "dropped", reason: "auth", rejected: { peer: "n1", reason: "auth" } }, 1)).toEqual([]);
    l.feed({ kind: "wake", timer: "listen" }, 100);
    expect(l.feed({ kind: "dropped", reason: "auth", rejected: { peer: "n1", reason: "auth" } }, 101)).toEqual([
      { kind: "count", outcome: "dropped", reason: "auth", rejected: { peer: "n1", reason: "auth" } },
    ]);
  });

  it("answers a second agent's probe in a peer's name on the medium it came in on, and reports it once", () => {
    const l = Loop.announced({}, 0);
    const n1 = (t: number, generation: number, seq: number, probe = false) =>
      l.feed(heard({ node: "n1", generation, seq, payload: probe ? PROBE_ENVELOPE : wrapHeartbeatPayload(null, { n2: 1 }) }), t);
    n1(0, 1, 1);
    n1(10, 5, 1, true); // a newcomer in n1's name probes
    n1(100, 1, 2); // the one there first speaks on
    n1(110, 5, 2, true);
    n1(200, 1, 3); // twice: the newcomer is a second agent
    const fx = n1(210, 5, 3, true);
    expect(fx).toContainEqual({ kind: "reply", packet: { node: "n2", cluster: "c1", generation: 3, seq: 0, payload: takenEnvelope("n1", 1) }, medium: "ucast lo", to: "127.0.0.1:694" });
    expect(posts(fx)).toEqual([{ type: "peer-duplicate", peer: "n1", generation: 5, keptGeneration: 1, from: "127.0.0.1:694" } satisfies LoopPost]);
    expect(posts(n1(310, 5, 4, true))).toEqual([]);
  });
});

describe("the heartbeat loop: the detector's wake-ups and this thread's own stalls", () => {
  it("arms the deadline wake 1 ms after the next deadline, and again only for an earlier one", () => {
    const l = Loop.announced({}, 0);
    // Nothing is armed at the announce: the first tick arms the wake for initdead.
    expect(wakes(l.fx, "deadline")).toEqual([]);
    const first = l.feed({ kind: "wake", timer: "tick" }, 50);
    expect(wakes(first, "deadline")).toEqual([fast.initdeadMs + 1]);
    // n1 heard: its lease ends warntime later, earlier than initdead: re-armed.
    expect(wakes(l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: { a: { n2: 0 }, p: null } }), 60), "deadline")).toEqual([60 + fast.warntimeMs + 1]);
    // Heard again: the deadline moves later, the armed wake stays (it just ticks and re-arms).
    expect(wakes(l.feed(heard({ node: "n1", generation: 1, seq: 2, payload: { a: { n2: 0 }, p: null } }), 80), "deadline")).toEqual([]);
    const woke = l.feed({ kind: "wake", timer: "deadline" }, 161);
    expect(transitions(woke)).toEqual([]);
    expect(wakes(woke, "deadline")).toEqual([80 + fast.warntimeMs + 1]);
  });

  for (const first of ["tick", "deadline"] as const) {
    it(`a stall of this thread is reported once when both timers notice it (${first} first): peers up go late once, none dead`, () => {
      const l = Loop.announced({}, 0);
      l.feed(heard({ node: "n1", generation: 1, seq: 1, payload: { a: { n2: 0 }, p: null } }), 10);
      l.feed(heard({ node: "n3", generation: 1, seq: 1, payload: { a: { n2: 0 }, p: null } }), 10);
      // SIGSTOP from 20 to 1000 ms: both the periodic tick (due at 50) and the deadline wake (due at
      // 111) run at 1000, before the peers' queued packets are read.
      const thaw = 1000;
      expect(thaw - tickMs(fast.keepaliveMs)).toBeGreaterThan(stallThresholdMs(fast.keepaliveMs));
      const other = first === "tick" ? "deadline" : "tick";
      const fx = [...l.feed({ kind: "wake", timer: first }, thaw), ...l.feed({ kind: "wake", timer: other }, thaw)];
      expect(transitions(fx).map((t) => `${t.peer} ${t.from}→${t.to}${t.stalled ? " stalled" : ""}`).sort()).toEqual(["n1 up→late stalled", "n3 up→late stalled"]);
      expect(l.s.stallReportedAt).toBe(thaw);
      // The next periodic tick is on time: no second stall, and the peers, read again, are up.
      l.feed(heard({ node: "n1", generation: 1, seq: 2, payload: { a: { n2: 5 }, p: null } }), thaw + 1);
      const next = l.feed({ kind: "wake", timer: "tick" }, thaw + tickMs(fast.keepaliveMs));
      expect(transitions(next).filter((t) => t.stalled)).toEqual([]);
      expect(l.s.detector.peers["n1"]!.status).toBe("up");
    });
  }
});
