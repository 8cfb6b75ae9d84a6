import { describe, expect, it } from "vitest";
import type { ClusterConfig, GroupSpec } from "@vigil/shared/config/schemas";
import { configDigest, planReload } from "./config-reload.js";

const group = (id: string, res: string[], line = 1, preferredNode = "n1"): GroupSpec => ({ id, preferredNode, line, resources: res.map((r) => ({ id: r, agent: "Dummy", args: [r] })) });
const base = {
  dir: "/etc/ha.d",
  haCf: { cluster: "c", nodes: ["n1", "n2", "n3"], autoFailback: "on", keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 2_000, udpport: 694, media: [], pingNodes: [], nats: [], allowCrc: false },
  authKeys: { active: 1, method: "sha256", key: "k", keys: { "1": { method: "sha256", key: "k" } } },
  groups: [group("web", ["a"]), group("db", ["b"], 2)],
} as unknown as ClusterConfig;
const withCfg = (patch: { haCf?: Partial<ClusterConfig["haCf"]>; groups?: GroupSpec[]; authKeys?: ClusterConfig["authKeys"] }): ClusterConfig => ({
  ...base,
  haCf: { ...base.haCf, ...patch.haCf },
  groups: patch.groups ?? base.groups,
  authKeys: patch.authKeys ?? base.authKeys,
});

describe("what a SIGHUP applies now and what waits for a restart", () => {
  it("applies groups added and removed and auto_failback, and keeps timing and the node list for a restart", () => {
    const next = withCfg({ haCf: { autoFailback: "off", deadtimeMs: 900, nodes: ["n1", "n2", "n3", "n4"] }, groups: [group("web", ["a"]), group("api", ["c"], 3)] });
    const p = planReload(base, next, new Set(["db"]));
    expect(p.added).toEqual(["api"]);
    expect(p.removed).toEqual(["db"]);
    expect(p.changes).toEqual(["auto_failback on → off", "group api added", "group db removed (stopped here first)"]);
    expect(p.pending.map((x) => x.split(":")[0])).toEqual(["timing (keepalive, warntime, deadtime, initdead) (deadtimeMs)", "the node list (nodes)"]);
    expect(p.effective.haCf).toMatchObject({ autoFailback: "off", deadtimeMs: 600, nodes: ["n1", "n2", "n3"] });
    expect(p.effective.groups.map((g) => g.id)).toEqual(["web", "api"]);
  });

  it("redefines a group stopped here, but not one that runs here", () => {
    const next = withCfg({ groups: [group("web", ["a", "x"]), group("db", ["b", "y"], 2)] });
    const p = planReload(base, next, new Set(["web"]));
    expect(p.redefined).toEqual(["db"]);
    expect(p.pending).toEqual([expect.stringMatching(/^group web: its new definition waits: it runs here/)]);
    expect(p.effective.groups.map((g) => g.resources.map((r) => r.id))).toEqual([["a"], ["b", "y"]]);
  });

  it("a group that prefers a node not yet in the running node list waits; a moved line is no change", () => {
    const next = withCfg({ groups: [group("web", ["a"], 5), group("db", ["b"], 6), group("new", ["z"], 7, "n9")] });
    const p = planReload(base, next, new Set());
    expect(p.changes).toEqual([]);
    expect(p.pending).toEqual([expect.stringMatching(/^group new: waits for a restart: it prefers n9/)]);
    expect(p.effective.groups.map((g) => [g.id, g.line])).toEqual([["web", 5], ["db", 6]]);
  });

  it("a key change waits for a restart, and the digest leaves key material out", () => {
    const rekeyed = withCfg({ authKeys: { active: 1, method: "sha256", key: "other", keys: { "1": { method: "sha256", key: "other" } } } });
    expect(planReload(base, rekeyed, new Set()).pending).toEqual([expect.stringMatching(/^authkeys: waits for a restart/)]);
    expect(configDigest(rekeyed)).toBe(configDigest(base));
    expect(configDigest(withCfg({ haCf: { autoFailback: "off" } }))).not.toBe(configDigest(base));
  });

  it("require_fencing waits for a restart, with the fence agent", () => {
    const next = withCfg({ haCf: { requireFencing: true } });
    expect(planReload(base, next, new Set()).pending).toEqual([expect.stringMatching(/^fencing \(fence, fence_agent, require_fencing\) \(requireFencing\): waits for a restart/)]);
    const agent = withCfg({ haCf: { fenceAgent: { agent: "fence_xvm", params: {}, action: "off", hostArgument: "plug", hostMap: {} } } });
    expect(planReload(base, agent, new Set()).pending).toEqual([expect.stringMatching(/^fencing .* \(fenceAgent\): waits for a restart/)]);
  });

  it("tiebreaker waits for a restart (the lease is wired at start)", () => {
    const next = withCfg({ haCf: { tiebreaker: "nats" } });
    expect(planReload(base, next, new Set()).pending).toEqual([expect.stringMatching(/^the tie-breaker \(tiebreaker\) \(tiebreaker\): waits for a restart/)]);
  });

  it("the digest is the cluster's, not the node's: bind, ucast peers and device names leave it alone", () => {
    const on = (bind: string, peers: string[], dev: string) =>
      withCfg({
        haCf: {
          bind,
          media: [
            { kind: "mcast", dev, group: "239.0.0.1", port: 694, ttl: 1, loop: false },
            ...peers.map((peer) => ({ kind: "ucast" as const, dev, peer })),
          ] as ClusterConfig["haCf"]["media"],
        },
      });
    const n1 = on("127.0.0.1:7001", ["127.0.0.2:7002", "127.0.0.3:7003"], "lo");
    const n2 = on("127.0.0.2:7002", ["127.0.0.1:7001", "127.0.0.3:7003"], "eth1");
    expect(configDigest(n1)).toBe(configDigest(n2));
    expect(configDigest(withCfg({ haCf: { deadtimeMs: 900 } }))).not.toBe(configDigest(base));
  });
});
