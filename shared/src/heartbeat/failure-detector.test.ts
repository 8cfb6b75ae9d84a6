import { describe, expect, it } from "vitest";
import {
  createDetector,
  nextDeadline,
  reinstateGeneration,
  step,
  type DetectorInput,
  type DetectorState,
  type Transition,
} from "./failure-detector.js";

const timing = { warntimeMs: 500, deadtimeMs: 1000, initdeadMs: 3000 };

/** A virtual clock driving the detector: the test says what happens when. */
class Sim {
  state: DetectorState;
  log: Transition[] = [];
  constructor(peers: string[], t = timing, public now = 10_000) {
    this.state = createDetector(peers, t, now);
  }
  at(now: number, input: DetectorInput = { kind: "tick" }): Transition[] {
    this.now = now;
    const r = step(this.state, input, now);
    this.state = r.state;
    this.log.push(...r.transitions);
    return r.transitions;
  }
  heard(now: number, peer = "n2", generation = 1) {
    return this.at(now, { kind: "heard", peer, generation });
  }
}

describe("failure detector", () => {
  it("moves a peer from init to up on its first packet", () => {
    const s = new Sim(["n2"]);
    expect(s.heard(10_050)).toEqual([{ peer: "n2", from: "init", to: "up", at: 10_050, silentMs: 50, generation: 1 }]);
  });

  it("warns late exactly at warntime of silence and not a millisecond before", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000);
    expect(s.at(10_499)).toEqual([]);
    expect(s.at(10_500)).toEqual([{ peer: "n2", from: "up", to: "late", at: 10_500, silentMs: 500, generation: 1 }]);
    expect(s.at(10_600)).toEqual([]); // reported once
  });

  it("declares dead exactly at deadtime of silence", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000);
    s.at(10_500);
    expect(s.at(10_999)).toEqual([]);
    expect(s.at(11_000)).toEqual([{ peer: "n2", from: "late", to: "dead", at: 11_000, silentMs: 1000, generation: 1 }]);
    expect(s.at(20_000)).toEqual([]);
  });

  it("reports late then dead in order when one tick crosses both thresholds", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000);
    expect(s.at(12_000).map((t) => `${t.from}>${t.to}`)).toEqual(["up>late", "late>dead"]);
  });

  it("a late peer heard again is up without a returned flag", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000);
    s.at(10_700);
    expect(s.heard(10_800)).toEqual([{ peer: "n2", from: "late", to: "up", at: 10_800, silentMs: 800, generation: 1 }]);
    expect(s.at(11_299)).toEqual([]); // silence counts from the new packet
  });

  it("a dead peer heard again has returned", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000);
    s.at(11_000);
    const [t] = s.heard(15_000);
    expect(t).toMatchObject({ from: "dead", to: "up", returned: true, silentMs: 5000 });
    expect(t!.restarted).toBeUndefined();
  });

  it("a peer never heard is dead only after initdead, counted from the start", () => {
    const s = new Sim(["n2", "n3"]);
    s.heard(10_100, "n3");
    expect(s.at(11_100).map((t) => `${t.peer}:${t.to}`)).toEqual(["n3:late", "n3:dead"]);
    expect(s.at(12_999).filter((t) => t.peer === "n2")).toEqual([]);
    expect(s.at(13_000).filter((t) => t.peer === "n2")).toEqual([
      { peer: "n2", from: "init", to: "dead", at: 13_000, silentMs: 3000, generation: null },
    ]);
    // n3 was heard, so deadtime (not initdead) applied to it
    expect(s.log.filter((t) => t.peer === "n3").map((t) => t.to)).toEqual(["up", "late", "dead"]);
    expect(s.log.find((t) => t.peer === "n3" && t.to === "dead")!.at).toBe(11_100);
  });

  it("no late warning for a peer still in init", () => {
    const s = new Sim(["n2"]);
    expect(s.at(12_000)).toEqual([]);
  });

  it("reports a restart when the generation grows while up", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000, "n2", 4);
    expect(s.heard(10_200, "n2", 5)).toEqual([
      { peer: "n2", from: "up", to: "up", at: 10_200, silentMs: 200, generation: 5, restarted: true, previousGeneration: 4 },
    ]);
    expect(s.heard(10_300, "n2", 5)).toEqual([]);
  });

  it("a dead peer back with a new generation has both returned and restarted", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000, "n2", 4);
    s.at(11_000);
    expect(s.heard(11_500, "n2", 9)[0]).toMatchObject({ returned: true, restarted: true, previousGeneration: 4 });
  });

  it("ignores packets from an older generation and from nodes not configured", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000, "n2", 4);
    s.at(10_900);
    expect(s.heard(10_950, "n2", 3)).toEqual([]);
    expect(s.heard(10_950, "intruder", 1)).toEqual([]);
    expect(s.at(11_000).map((t) => t.to)).toEqual(["dead"]);
  });

  it("skips the late stage when warntime is not below deadtime", () => {
    const s = new Sim(["n2"], { warntimeMs: 1000, deadtimeMs: 1000, initdeadMs: 3000 });
    s.heard(10_000);
    expect(s.at(10_999)).toEqual([]);
    expect(s.at(11_000).map((t) => `${t.from}>${t.to}`)).toEqual(["up>dead"]);
  });

  it("names the next instant a tick could change something", () => {
    const s = new Sim(["n2", "n3"]);
    expect(nextDeadline(s.state)).toBe(13_000);
    s.heard(10_100, "n2");
    s.heard(10_200, "n3");
    expect(nextDeadline(s.state)).toBe(10_600);
    s.at(10_600);
    expect(nextDeadline(s.state)).toBe(10_700);
    s.at(11_200);
    expect(nextDeadline(s.state)).toBeUndefined();
  });

  it("does not mutate the state it was given", () => {
    const s = new Sim(["n2"]);
    const before = s.state;
    const snapshot = JSON.stringify(before);
    s.heard(10_000);
    s.at(12_000);
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

describe("a stall of this node", () => {
  it("is not counted as the peers' silence, but takes them out of the quorum until heard again", () => {
    const timing = { warntimeMs: 300, deadtimeMs: 600, initdeadMs: 2000 };
    let s = createDetector(["n2"], timing, 0);
    s = step(s, { kind: "heard", peer: "n2", generation: 1 }, 100).state;
    // Frozen from 150 to 5150: on waking, the stall is reported before the first tick.
    const woke = step(s, { kind: "stalled", ms: 5000 }, 5150);
    expect(woke.transitions).toMatchObject([{ peer: "n2", from: "up", to: "late", stalled: true }]);
    const r = step(woke.state, { kind: "tick" }, 5150);
    expect(r.transitions).toEqual([]);
    // The queued packet is read: up again.
    const heard = step(r.state, { kind: "heard", peer: "n2", generation: 1 }, 5151);
    expect(heard.transitions.map((t) => t.to)).toEqual(["up"]);
    // Real silence after the stall still counts.
    const later = step(r.state, { kind: "tick" }, 5700);
    expect(later.transitions.map((t) => t.to)).toEqual(["dead"]);
  });
});

describe("the peer's report of hearing this node", () => {
  const timing = { warntimeMs: 100, deadtimeMs: 200, initdeadMs: 2000 };
  it("keeps a peer up only while it also hears this node: the lease runs from the older direction (plus slack)", () => {
    let s = createDetector(["n2"], timing, 0);
    s = step(s, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: 5 }, 10).state;
    // n2's packets keep coming, but say it last heard us at 5 ms.
    const r1 = step(s, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: 55 }, 60);
    expect(r1.transitions).toEqual([]);
    expect(nextDeadline(r1.state)).toBe(105);
    const r2 = step(r1.state, { kind: "tick" }, 105);
    // With a keepalive of slack, the report may be that much older.
    const slack = createDetector(["n2"], { ...timing, vouchSlackMs: 50 }, 0);
    const s2 = step(step(slack, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: 5 }, 10).state, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: 55 }, 60).state;
    expect(nextDeadline(s2)).toBe(155);
    expect(r2.transitions).toMatchObject([{ peer: "n2", from: "up", to: "late", unvouched: true }]);
    // Still heard: not dead at deadtime from the vouch, only from its own silence.
    const r3 = step(r2.state, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: null }, 150);
    expect(r3.transitions).toEqual([]);
    expect(step(r3.state, { kind: "tick" }, 240).transitions).toEqual([]);
    // It hears us again: up.
    const r4 = step(r3.state, { kind: "heard", peer: "n2", generation: 1, heardUsAgoMs: 3 }, 250);
    expect(r4.transitions).toMatchObject([{ peer: "n2", from: "late", to: "up" }]);
  });

  it("a peer that sends no report counts on this node's direction alone", () => {
    let s = createDetector(["n2"], timing, 0);
    s = step(s, { kind: "heard", peer: "n2", generation: 1 }, 10).state;
    expect(nextDeadline(s)).toBe(110);
  });
});

describe("reinstateGeneration (a second agent taken for a peer's restart)", () => {
  it("the older generation's packets count as the peer's life again, no restart or return in between", () => {
    const s = new Sim(["n2"]);
    s.heard(10_000, "n2", 1);
    expect(s.heard(10_100, "n2", 5).map((t) => t.restarted)).toEqual([true]);
    // Without it, generation 1 is a packet from before the restart: ignored, and n2 would die.
    s.heard(10_200, "n2", 1);
    s.at(11_150);
    expect(s.state.peers["n2"]!.status).toBe("dead");
    const r = new Sim(["n2"]);
    r.heard(10_000, "n2", 1);
    r.heard(10_100, "n2", 5);
    r.state = reinstateGeneration(r.state, "n2", 1);
    for (let t = 10_200; t <= 12_000; t += 200) expect(r.heard(t, "n2", 1)).toEqual([]);
    expect(r.at(12_100)).toEqual([]);
    expect(r.state.peers["n2"]).toMatchObject({ status: "up", generation: 1 });
  });
});
