import { describe, expect, it } from "vitest";
import { members, onTransition, peerTransition, type MembershipState } from "./membership-events.js";

let i = 0;
const meta = { id: () => `n1.1.${++i}`, node: "n1", time: 0 };
const s0: MembershipState = { self: "n1", alive: new Set() };

describe("membership events", () => {
  it("first heartbeat from a peer is NodeUp and adds it to the members", () => {
    const r = onTransition(s0, { peer: "n2", from: "init", to: "up", at: 1000, silentMs: 0, generation: 5 }, meta);
    expect(r.events.map((e) => e.type)).toEqual(["NodeUp"]);
    expect(members(r.state)).toEqual(["n1", "n2"]);
  });

  it("a late peer stays a member; a dead one leaves; a returning one is NodeReturned", () => {
    let s = onTransition(s0, { peer: "n2", from: "init", to: "up", at: 0, silentMs: 0, generation: 5 }, meta).state;
    const late = onTransition(s, { peer: "n2", from: "up", to: "late", at: 300, silentMs: 300, generation: 5 }, meta);
    expect(late.events[0]!.type).toBe("NodeLate");
    expect(members(late.state)).toEqual(["n1", "n2"]);
    const dead = onTransition(late.state, { peer: "n2", from: "late", to: "dead", at: 600, silentMs: 600, generation: 5 }, meta);
    expect(dead.events[0]).toMatchObject({ type: "NodeDead", peer: "n2", silentMs: 600 });
    expect(members(dead.state)).toEqual(["n1"]);
    s = dead.state;
    const back = onTransition(s, { peer: "n2", from: "dead", to: "up", at: 900, silentMs: 900, generation: 5, returned: true }, meta);
    expect(back.events[0]!.type).toBe("NodeReturned");
  });

  it("a peer that restarted is reported with both generations", () => {
    const r = onTransition(s0, { peer: "n3", from: "up", to: "up", at: 0, silentMs: 0, generation: 9, restarted: true, previousGeneration: 8 }, meta);
    expect(r.events[0]).toMatchObject({ type: "NodeRestarted", generation: 9, previousGeneration: 8 });
  });

  it("a peer never heard within initdead is declared dead with that cause", () => {
    const r = onTransition(s0, { peer: "n3", from: "init", to: "dead", at: 2000, silentMs: 2000, generation: null }, meta);
    expect(r.events[0]!.cause).toMatch(/initdead/);
  });
});

describe("peerTransition: the agent's order for a peer's transition", () => {
  it("tells the controller first, then gives the events, and a MembershipChanged with the controller's quorum only when the members change", () => {
    const calls: string[] = [];
    const controller = {
      onPeer: (peer: string, to: string) => void calls.push(`onPeer ${peer} ${to}`),
      quorumForMembership: () => (calls.push("quorum"), { has: true, reason: "2 of 3 nodes" }),
    };
    let n = 0;
    const meta = { id: () => `e${++n}`, node: "n1" };
    const s0: MembershipState = { self: "n1", alive: new Set() };
    const up = peerTransition(s0, { peer: "n2", from: "init", to: "up", at: 1_000, silentMs: 0, generation: 7 }, controller, meta);
    expect(calls).toEqual(["onPeer n2 up", "quorum"]);
    expect(up.events.map((e) => e.type)).toEqual(["NodeUp"]);
    expect(up.changed).toEqual({ members: ["n1", "n2"], quorum: true, cause: "n2 is up: 2 of 3 nodes" });
    // late keeps the peer among the members: nothing to record about the membership.
    calls.length = 0;
    const late = peerTransition(up.state, { peer: "n2", from: "up", to: "late", at: 1_200, silentMs: 200, generation: 7 }, controller, meta);
    expect(calls).toEqual(["onPeer n2 late"]);
    expect(late.events.map((e) => e.type)).toEqual(["NodeLate"]);
    expect(late.changed).toBeNull();
  });
});
