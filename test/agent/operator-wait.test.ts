// Operator commands with --wait on a two-node loopback cluster (unicast heartbeats on 127.0.0.x, a real
// nats-server, four groups of built-in Dummy resources): a command that is already carried out returns
// at once with exit 0 and records nothing; `hb takeover all` moves every selected group; and each
// agent keeps its Dummy state under its own --state-dir, though both name the same `Dummy::gN`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoopbackCluster } from "./loopback-cluster.js";

const GROUPS = ["g1", "g2", "g3", "g4"];
let c: LoopbackCluster;

const vigil = (args: string[], timeoutMs = 60_000) => c.vigil(args, { timeoutMs });
const stateDir = (node: string) => c.stateDir(node);

beforeAll(async () => {
  c = await LoopbackCluster.create({
    cluster: "opwait",
    nodes: ["n1", "n2"],
    // g1, g2 preferred on n1; g3, g4 on n2. The same relative Dummy name on both nodes.
    haresources: GROUPS.map((g, i) => `${i < 2 ? "n1" : "n2"} group=${g} Dummy::${g}\n`).join(""),
    extra: ["auto_failback on"],
  });
  for (const n of c.o.nodes) c.start(n);
});
afterAll(async () => {
  await c?.destroy();
});

type Status = { nodes: { name: string; state: string }[]; groups: { id: string; node: string | null; state: string; movedTo: string | null }[] };
function status(): Status | null {
  const r = vigil(["status", "--json"]);
  return r.status === 0 ? (JSON.parse(r.stdout) as Status) : null;
}
const placement = (s: Status | null) => Object.fromEntries((s?.groups ?? []).map((g) => [g.id, g.state === "started" ? g.node : null]));
const lastSeq = () => (JSON.parse(vigil(["status", "--json"]).stdout) as { lastSeq: number }).lastSeq;

async function waitPlacement(want: Record<string, string>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  let now: Record<string, string | null> = {};
  while (Date.now() < until) {
    now = placement(status());
    if (Object.entries(want).every(([g, n]) => now[g] === n)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`placement ${JSON.stringify(now)} is not ${JSON.stringify(want)} within ${ms} ms`);
}

/** Runs a command that must be a no-op: exit 0 well inside its timeout, "already", and nothing new in the log. */
function expectAlready(args: string[]): void {
  const before = lastSeq();
  const t0 = Date.now();
  const r = vigil([...args, "--wait", "--timeout", "20s"]);
  expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect(r.stdout).toMatch(/already/);
  const after = lastSeq();
  if (after !== before) throw new Error(`${args.join(" ")} recorded: ${JSON.stringify(c.events().filter((e) => e.seq > before))}`);
}

describe("operator commands with --wait", () => {
  it("each agent keeps its Dummy state under its own state dir", { timeout: 60_000 }, async () => {
    await waitPlacement({ g1: "n1", g2: "n1", g3: "n2", g4: "n2" });
    for (const g of GROUPS) {
      const holder = g === "g1" || g === "g2" ? "n1" : "n2";
      const other = holder === "n1" ? "n2" : "n1";
      expect(existsSync(join(stateDir(holder), "dummy", g)), `${g} on ${holder}`).toBe(true);
      expect(existsSync(join(stateDir(other), "dummy", g)), `${g} not on ${other}`).toBe(false);
    }
  });

  it("returns at once, exit 0, recording nothing, when the command is already carried out", { timeout: 120_000 }, async () => {
    await waitPlacement({ g1: "n1", g2: "n1", g3: "n2", g4: "n2" });
    expectAlready(["node", "online", "n1"]);
    expectAlready(["resource", "clear", "g1"]);
    expectAlready(["resource", "cleanup", "g1"]);

    // A move to where the group runs records the preference, and is carried out at once.
    const move = vigil(["resource", "move", "g1", "n1", "--wait", "--timeout", "20s"]);
    expect(move.status, move.stderr).toBe(0);
    expect(move.stdout).toMatch(/MoveRequested recorded as #\d+[\s\S]*already so/);
    expectAlready(["resource", "move", "g1", "n1"]);
    expect(vigil(["resource", "clear", "g1", "--wait"]).status).toBe(0);

    const standby = vigil(["node", "standby", "n2", "--wait", "--timeout", "30s"]);
    expect(standby.status, standby.stderr).toBe(0);
    await waitPlacement({ g3: "n1", g4: "n1" });
    expectAlready(["node", "standby", "n2"]);
    expect(vigil(["node", "online", "n2", "--wait", "--timeout", "30s"]).status).toBe(0);
    await waitPlacement({ g1: "n1", g2: "n1", g3: "n2", g4: "n2" });
  });

  it("hb takeover all --node n1 --wait moves all four groups, though the third already runs there; again is a no-op", { timeout: 180_000 }, async () => {
    await waitPlacement({ g1: "n1", g2: "n1", g3: "n2", g4: "n2" });
    // g1, g2 and g4 on n2, the third (g3) already on n1: main waited out --timeout on g3 and stopped.
    for (const [g, n] of [["g1", "n2"], ["g2", "n2"], ["g3", "n1"]] as const) {
      const m = vigil(["resource", "move", g, n, "--wait", "--timeout", "30"]);
      expect(m.status, m.stderr).toBe(0);
    }
    await waitPlacement({ g1: "n2", g2: "n2", g3: "n1", g4: "n2" });
    const r = vigil(["hb", "takeover", "all", "--node", "n1", "--wait", "--timeout", "15"], 170_000);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(placement(status())).toEqual({ g1: "n1", g2: "n1", g3: "n1", g4: "n1" });
    const again = Date.now();
    const twice = vigil(["hb", "takeover", "all", "--node", "n1", "--wait", "--timeout", "15"]);
    expect(twice.status, twice.stderr).toBe(0);
    expect(twice.stdout).toMatch(/already/);
    expect(Date.now() - again).toBeLessThan(12_000);
    for (const g of GROUPS) expect(vigil(["resource", "clear", g]).status).toBe(0);
    await waitPlacement({ g1: "n1", g2: "n1", g3: "n2", g4: "n2" });
  });
});
