import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "@vigil/shared/config/schemas";
import { emptyView, type ClusterView } from "@vigil/shared/events/cluster-view";
import { afterStall, announcesNoQuorum, decideNode, effectivePeers, freshMemory, nodeQuorum, resolveDoubleHolders, type NodeMemory } from "./node-decision.js";
import { nodeReport, type NodeReport } from "@vigil/shared/heartbeat/node-report";
import type { LocalGroup, PeerInfo } from "./placement-view.js";

const cfg = {
  dir: "/etc/ha.d",
  haCf: { nodes: ["n1", "n2", "n3"], autoFailback: "on", initdeadMs: 2000, deadtimeMs: 200, warntimeMs: 100 },
  authKeys: {},
  groups: [{ id: "web", preferredNode: "n1", line: 1, resources: [{ id: "IPaddr::198.51.100.50", agent: "IPaddr", args: [] }] }],
} as unknown as ClusterConfig;

const peer = (liveness: PeerInfo["liveness"], report: Partial<NodeReport> = {}, extra: Partial<PeerInfo> = {}): PeerInfo => ({
  liveness,
  upSince: 0,
  report: nodeReport(report),
  fenced: false,
  generation: 1,
  ...extra,
});

function decide(
  self: string,
  peers: Record<string, PeerInfo>,
  o: {
    local?: LocalGroup["state"];
    /** Every group's local state, for a cluster of more groups than `web` (`config`). */
    locals?: Record<string, LocalGroup["state"]>;
    config?: ClusterConfig;
    log?: ClusterView;
    memory?: NodeMemory;
    fencing?: boolean;
    now?: number;
    requireFencing?: boolean;
  } = {},
) {
  const base = o.config ?? cfg;
  return decideNode({
    cfg: o.requireFencing ? ({ ...base, haCf: { ...base.haCf, requireFencing: true } } as ClusterConfig) : base,
    self,
    peers: new Map(Object.entries(peers)),
    local: new Map(Object.entries(o.locals ?? { web: o.local ?? "stopped" }).map(([g, state]) => [g, { state, failcounts: {} }])),
    log: o.log ?? emptyView("c"),
    witness: false,
    now: o.now ?? 10_000,
    startedAt: 0,
    failbackStableMs: 1000,
    fencing: o.fencing ?? false,
    memory: o.memory ?? { ...freshMemory(), lastQuorum: true, selfUpSince: 0 },
  });
}

describe("the node decision", () => {
  it("quorum counts only peers that hear this node too (mutual): lost outgoing packets cost the quorum", () => {
    // n1 hears both, but neither hears n1 (its packets are lost): n1 must not keep quorum.
    const d = decide("n1", { n2: peer("up", { vouchesFor: ["n3"] }), n3: peer("up", { vouchesFor: ["n2"] }) }, { local: "started" });
    expect(d.quorum.has).toBe(false);
    expect(d.stop.map((s) => s.group)).toEqual(["web"]);
  });

  it("a peer heard before its first payload does not count for quorum yet (it has not said it hears this node)", () => {
    const silent: PeerInfo = { ...peer("up"), report: null };
    const q = (n2: PeerInfo) => nodeQuorum({ cfg, self: "n1", peers: new Map([["n2", n2], ["n3", peer("dead")]]), memory: freshMemory(), witness: false });
    expect(q(silent).hasQuorum).toBe(false);
    expect(effectivePeers("n1", new Map([["n2", silent]]), new Map()).get("n2")!.liveness).toBe("late");
    expect(q(peer("up", { vouchesFor: ["n1"] })).hasQuorum).toBe(true);
  });

  it("a peer this node calls dead but another peer still hears is alive (late), holding what it holds", () => {
    const peers = new Map(Object.entries({ n2: peer("up", { vouchesFor: ["n1", "n3"], hears: ["n1", "n3"], peersRunning: { n3: ["web"] } }), n3: peer("dead") }));
    const e = effectivePeers("n1", peers, new Map());
    expect(e.get("n3")!.liveness).toBe("late");
    const d = decide("n1", Object.fromEntries(peers));
    expect(d.current.web).toBe("n3");
    expect(d.start).toEqual([]);
  });

  it("two live holders of a group: every node takes the first in ha.cf order as its holder, the other stops", () => {
    const current: Record<string, string | null> = { web: "n2" };
    resolveDoubleHolders(current, "n2", new Map(Object.entries({ n1: peer("up", { running: ["web"] }) })), ["n1", "n2", "n3"]);
    expect(current.web).toBe("n1");
    const d = decide("n2", { n1: peer("up", { running: ["web"], vouchesFor: ["n2", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) }, { local: "started" });
    expect(d.stop.map((s) => s.group)).toEqual(["web"]);
  });

  it("a node stopping a group (stall first) does not win it back from a live peer that holds it", () => {
    // n1 thawed from a stall and is stopping web; n2 took it over meanwhile and still holds it.
    const peers = { n2: peer("up", { running: ["web"], vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    const stopping = decide("n1", peers, { local: "stopping" });
    expect(stopping.current.web).toBe("n2");
    expect(stopping.start).toEqual([]);
    // Stopped: still n2's until it releases it (auto_failback goes through the handoff).
    expect(decide("n1", peers, { local: "stopped" }).start).toEqual([]);
    const current: Record<string, string | null> = { web: "n1" };
    resolveDoubleHolders(current, "n1", new Map(Object.entries(peers)), ["n1", "n2", "n3"], new Set(["web"]));
    expect(current.web).toBe("n2");
    // Stopping with no peer holding it: still this node's (a START may set its goal back).
    const alone = decide("n1", { n2: peer("up", { vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) }, { local: "stopping" });
    expect(alone.current.web).toBe("n1");
    expect(alone.start.map((s) => s.group)).toEqual(["web"]);
  });

  it("after a stall past the lease, the next quorum is a rejoin: nothing starts until deadtime has passed since it", () => {
    const memory = afterStall({ ...freshMemory(), lastQuorum: true, selfUpSince: 0 });
    const heard = { n2: peer("up", { vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    const d = decide("n1", heard, { memory, now: 10_000 });
    expect(d.quorum.change).toBe("regained");
    expect(d.memory.selfUpSince).toBe(10_000);
    expect(d.start).toEqual([]);
    // Without the stall the same view starts it (quorum was never lost): the gate is the stall's.
    expect(decide("n1", heard, { now: 10_000 }).start.map((s) => s.group)).toEqual(["web"]);
    // Every peer saying it hears n1 does not open it: a peer may be starting web on n1's last `nq`.
    expect(decide("n1", heard, { memory: d.memory, now: 10_150 }).start).toEqual([]);
    expect(decide("n1", heard, { memory: d.memory, now: 10_200 }).start.map((s) => s.group)).toEqual(["web"]);
  });

  it("a node says nq only after it had quorum once (at start-up its peers would take its groups to fail them back)", () => {
    expect(announcesNoQuorum({ ...freshMemory(), lastQuorum: false })).toBe(false);
    expect(announcesNoQuorum({ ...freshMemory(), lastQuorum: false, selfUpSince: 5 })).toBe(true);
    expect(announcesNoQuorum(afterStall({ ...freshMemory(), lastQuorum: true, selfUpSince: 5 }))).toBe(true);
    expect(announcesNoQuorum({ ...freshMemory(), lastQuorum: true, selfUpSince: 5 })).toBe(false);
  });

  it("peers place nothing on a node that says it has no quorum and holds nothing (the deaf side of a one-way partition)", () => {
    // n2's view: n1 is heard (late: it hears nobody) and says `nq`, holding nothing. web goes to n2.
    const deaf = { n1: peer("late", { vouchesFor: [], noQuorum: true }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    expect(decide("n2", deaf).placement!.placement.web).toBe("n2");
    expect(decide("n2", deaf).start.map((s) => s.group)).toEqual(["web"]);
    // Without `nq` (an older agent, or a late node with quorum) a late node is online: web stays placed on n1.
    const late = { n1: peer("late", { vouchesFor: [] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    expect(decide("n2", late).placement!.placement.web).toBe("n1");
    // A node that says `nq` but still holds web keeps it placed there (it is stopping it, or blocked).
    const stopping = { n1: peer("late", { running: ["web"], vouchesFor: [], noQuorum: true }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    expect(decide("n2", stopping).placement!.placement.web).toBe("n1");
    expect(decide("n2", stopping).start).toEqual([]);
  });

  it("never starts a group while a live peer holds it: the handoff waits for its release", () => {
    const holding = decide("n1", { n2: peer("up", { running: ["web"], vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) });
    expect(holding.placement!.placement.web).toBe("n1");
    expect(holding.start).toEqual([]);
    const released = decide("n1", { n2: peer("up", { vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) });
    expect(released.start.map((s) => s.group)).toEqual(["web"]);
  });

  it("with fencing, a peer that dies after being placed a group (before saying it started it) is fenced first", () => {
    const up = { n2: peer("up", { vouchesFor: ["n1", "n3"] }), n3: peer("up", { vouchesFor: ["n1", "n2"] }) };
    // n1 in standby-like state is simulated by a move: place web on n2 while everyone is alive.
    const moved = emptyView("c");
    moved.groups.set("web", { id: "web", preferredNode: "n1", node: null, state: "stopped", resources: [], movedTo: "n2", reason: null, copies: {} });
    const first = decide("n1", up, { log: moved, fencing: true });
    expect(first.placement!.placement.web).toBe("n2");
    expect([...(first.memory.placedOn.get("n2") ?? [])]).toEqual(["web"]);
    const after = decide("n1", { n2: peer("dead"), n3: peer("up", { vouchesFor: ["n1"] }) }, { fencing: true, memory: first.memory });
    expect(after.fence.map((f) => f.victim)).toEqual(["n2"]);
    expect(after.start).toEqual([]);
  });

  it("after regaining quorum, starts nothing until every peer is heard again or deadtime has passed", () => {
    const memory: NodeMemory = { ...freshMemory(), lastQuorum: false, selfUpSince: 0 };
    const peers = { n2: peer("up", { vouchesFor: ["n1"] }), n3: peer("dead") };
    const d = decide("n1", peers, { memory, now: 10_000 });
    expect(d.quorum.change).toBe("regained");
    expect(d.start).toEqual([]);
    const later = decide("n1", peers, { memory: d.memory, now: 10_000 + 200 });
    expect(later.start.map((s) => s.group)).toEqual(["web"]);
  });

  it("without fencing, a dead peer's group starts here on its lease, marked as recovered without fencing", () => {
    const d = decide("n1", { n2: peer("dead", { running: ["web"] }), n3: peer("up", { vouchesFor: ["n1"] }) });
    expect(d.start).toEqual([expect.objectContaining({ group: "web", unfencedFrom: "n2" })]);
    const fenced = decide("n1", { n2: peer("dead", { running: ["web"] }, { fenced: true }), n3: peer("up", { vouchesFor: ["n1"] }) });
    expect(fenced.start).toEqual([expect.not.objectContaining({ unfencedFrom: expect.anything() })]);
  });

  it("require_fencing on, no fence agent: a peer that died holding a group is unclean, and the group waits until it is fenced", () => {
    const dead = { n2: peer("dead", { running: ["web"] }), n3: peer("up", { vouchesFor: ["n1"] }) };
    const d = decide("n1", dead, { requireFencing: true });
    expect(d.start).toEqual([]);
    expect(d.fence).toEqual([]); // no agent to run: the operator confirms (vigil node confirm-fenced)
    expect(d.placement!.reasons.web).toMatch(/n2 unclean/);
    const confirmed = decide("n1", { ...dead, n2: peer("dead", { running: ["web"] }, { fenced: true }) }, { requireFencing: true });
    expect(confirmed.start.map((s) => s.group)).toEqual(["web"]);
  });

  it("a group this node is only stopping (a failed probe's cleanup) is not its to keep when its holder dies unfenced: no start before the fence", () => {
    // Found by the simulator (seed 66 of group-faults' misbehaving resources): n3's probe of g1 failed
    // at its boot, so it was stopping g1 when n1, which held g1, died; n3 counted its own `stopping`
    // as holding g1 ("n1 unclean: stays on n3") and started it while n1 still held the address.
    const peers = { n1: peer("dead", { running: ["web"] }), n3: peer("up", { vouchesFor: ["n2"] }) };
    const d = decide("n2", peers, { local: "stopping", fencing: true });
    expect(d.quorum.has).toBe(true);
    expect(d.start).toEqual([]);
    expect(d.fence.map((f) => f.victim)).toEqual(["n1"]);
    // Once n1 is fenced the group may start here.
    const after = decide("n2", { ...peers, n1: peer("dead", { running: ["web"] }, { fenced: true }) }, { local: "stopping", fencing: true });
    expect(after.start.map((s) => s.group)).toEqual(["web"]);
  });

  it("MembershipChanged's quorum is the decision's: a peer heard but not hearing this node does not count", () => {
    const peers = new Map(Object.entries({ n2: peer("up", { vouchesFor: ["n3"] }), n3: peer("dead") }));
    expect(nodeQuorum({ cfg, self: "n1", peers, memory: freshMemory(), witness: false }).hasQuorum).toBe(false);
    expect(decide("n1", Object.fromEntries(peers)).quorum.has).toBe(false);
  });

  it("a group no node holds waits while a live peer places it elsewhere: its own stop ending does not make this node start it beside the peer (sim seed 277)", () => {
    // n3 died holding web. n2 is stopping db (moved to n1), so n1 and n2 look equally loaded and web
    // goes to n1, the first in order. n2's stop ends before n1's heartbeat says it is starting web:
    // n2 is then the least loaded in its own eyes, and chose web for itself. n1's heartbeat still
    // places web on n1, so n2 starts nothing.
    const three = {
      ...cfg,
      groups: [
        { id: "web", preferredNode: "n3", line: 1, resources: [] },
        { id: "db", preferredNode: "n2", line: 2, resources: [] },
        { id: "mail", preferredNode: "n1", line: 3, resources: [] },
      ],
    } as unknown as ClusterConfig;
    const log = emptyView("c");
    log.groups.set("db", { id: "db", preferredNode: "n2", node: null, state: "stopped", resources: [], movedTo: "n1", reason: null, copies: {} });
    const n1 = (choices: Record<string, string>) => peer("up", { vouchesFor: ["n2"], running: ["mail"], inputsSeq: 0, heardInputsSeq: 0, choices });
    const at = (db: LocalGroup["state"], n1Places: Record<string, string>) =>
      decide("n2", { n1: n1(n1Places), n3: peer("dead") }, { config: three, log, locals: { web: "stopped", db, mail: "stopped" } });
    const stopping = at("stopping", {});
    expect(stopping.placement!.placement.web).toBe("n1");
    expect(stopping.choices).toEqual({ web: "n1" });
    const stopped = at("stopped", { web: "n1", db: "n1" });
    expect(stopped.placement!.placement.web).toBe("n2");
    expect(stopped.start).toEqual([]);
    expect(stopped.waiting).toEqual([{ group: "web", why: "n1 places web on n1: no start until it places it here too" }]);
    // Once n1 places web here too (it heard n2's stop before it started web), n2 starts it.
    expect(at("stopped", { web: "n2", db: "n1" }).start.map((x) => x.group)).toEqual(["web"]);
  });

  it("a node whose fold lacks the placement inputs a peer has folded starts nothing; the peer, told it is behind, does not wait for it (sim seed 142)", () => {
    // n2's log reader hung before the operator put n2 in standby; n3 folded it (seq 34). n1 died.
    const behind = emptyView("c");
    const ahead = emptyView("c");
    ahead.nodes.set("n2", { name: "n2", alive: true, standby: true, unclean: false, generation: 1, since: null });
    ahead.inputsSeq = 34;
    const decideAt = (self: string, log: typeof behind, other: string, report: Partial<NodeReport>) =>
      decide(self, { n1: peer("dead", {}, { fenced: true }), [other]: peer("up", { vouchesFor: [self], ...report }) }, { log, fencing: true });
    const n2 = decideAt("n2", behind, "n3", { inputsSeq: 34, heardInputsSeq: 34, choices: { web: "n3" } });
    expect(n2.placement!.placement.web).toBe("n2");
    expect(n2.start).toEqual([]);
    expect(n2.foldWait).toBe("n3 has folded placement inputs through log seq 34, this node only through 0: no start until its fold catches up");
    const n3 = decideAt("n3", ahead, "n2", { inputsSeq: 0, heardInputsSeq: 34, choices: { web: "n2" } });
    expect(n3.foldWait).toBeNull();
    expect(n3.start.map((x) => x.group)).toEqual(["web"]);
    // Had n2 not yet heard of seq 34, its choice would count: n3 waits for it.
    expect(decideAt("n3", ahead, "n2", { inputsSeq: 0, heardInputsSeq: 0, choices: { web: "n2" } }).start).toEqual([]);
  });
});
