// Issue 8 in the namespace lab: after a quorum loss (n3 stopped, n1 — holding the VIP — killed -9), the
// status is the survivor's view: n1 not online, the VIP's group not "started on n1", n2's partition
// without quorum, and an operator move refused with the reason.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createVipCluster, type VipCluster } from "./vip-cluster.js";

let c: VipCluster;

interface Status {
  nodes: { name: string; state: string }[];
  groups: { id: string; node: string | null; state: string; lastNode: string | null }[];
  quorum: Record<string, { has: boolean; members: string[] }>;
  lastChange: { seq: number; time: string; type: string } | null;
}

async function status(): Promise<Status> {
  const r = await c.lab.cli.run(["status", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

/** Polls `vigil status --json` (bounded) until `pred` holds; returns the last status either way. */
async function statusUntil(pred: (s: Status) => boolean, timeoutMs = 20_000): Promise<Status> {
  const end = Date.now() + timeoutMs;
  let s = await status();
  for (let i = 0; i < 200 && !pred(s) && Date.now() < end; i++) {
    await new Promise((r) => setTimeout(r, 200));
    s = await status();
  }
  return s;
}

describe("status after a quorum loss (lab)", () => {
  beforeAll(async () => {
    c = await createVipCluster({ watch: false });
  }, 120_000);
  afterAll(async () => {
    await c?.destroy();
  });

  it("shows n2's view: n1 unclean, the group's place unknown, n2 without quorum; a move is refused", { timeout: 120_000 }, async () => {
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${c.lab.diagnostics()}\n`));
    await c.waitOnlyHolder("n1", 20_000);
    await c.lab.agents.stop("n3");
    await statusUntil((s) => s.nodes.find((n) => n.name === "n3")?.state === "offline");
    await c.lab.agents.kill9("n1");

    const s = await statusUntil((st) => st.quorum.n2?.has === false && st.nodes.find((n) => n.name === "n1")?.state !== "online");
    expect(s.nodes.find((n) => n.name === "n1")!.state).toBe("unclean");
    expect(s.nodes.find((n) => n.name === "n2")!.state).toBe("online");
    expect(Object.keys(s.quorum)).toEqual(["n2"]);
    expect(s.quorum.n2).toMatchObject({ has: false, members: ["n2"] });
    expect(s.groups.find((g) => g.id === c.group)).toMatchObject({ state: "blocked", unknown: true, node: null, lastNode: "n1" });
    expect(s.lastChange).not.toBeNull();

    const text = await c.lab.cli.run(["status"]);
    expect(text.stdout).toMatch(/Quorum: n2: partition WITHOUT quorum, sees \[ n2 \]/);
    expect(text.stdout).not.toMatch(/started on n1/);

    const move = await c.lab.cli.run(["resource", "move", c.group, "n2"]);
    expect(move.code).toBe(1);
    expect(move.stderr).toMatch(/no quorum: n2 sees n2/);
  });
});
