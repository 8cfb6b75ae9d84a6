// Issue 7, defect 3: an agent restarted on a state dir left by an earlier stream (same cluster, the
// NATS store wiped since) must not trust its snapshot because the new stream happens to be longer:
// a snapshot belongs to the stream it was folded from. Checked from outside: the snapshot the agent
// writes when it stops again lists every event id of the new log as applied (none skipped).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { createLab, type Lab } from "./lab.js";
import { pollUntil } from "./sh.js";

let lab: Lab;

interface Status {
  lastSeq: number;
  nodes: Array<{ name: string; state: string }>;
}

async function status(): Promise<Status | undefined> {
  const r = await lab.cli.run(["status", "--json"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Status) : undefined;
}

/** Polls until n1 is in the log and online; returns the log's last seq then. */
async function waitOnline(): Promise<number> {
  const s = await pollUntil(
    "n1 online in the log",
    async () => {
      const s = await status();
      return s?.nodes.some((n) => n.name === "n1" && n.state === "online") ? s : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 300 },
  );
  return s.lastSeq;
}

/** Operator commands (each one event) until the log is past `seq`. */
async function growPast(seq: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < 40 && last <= seq; i++) {
    const r = await lab.cli.run(["node", i % 2 === 0 ? "standby" : "online", "n1", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    last = (JSON.parse(r.stdout.trim().split("\n")[0]!) as { seq: number }).seq;
  }
  // Leave n1 online.
  const r = await lab.cli.run(["node", "online", "n1", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { seq: number }).seq;
}

async function logIds(): Promise<Array<{ seq: number; id: string }>> {
  const r = await lab.cli.run(["log", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number; id: string });
}

describe("a restart on an old state dir", () => {
  beforeAll(async () => {
    lab = await createLab({ nodes: ["n1"], natsServers: 1 });
    lab.writeConfigs();
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it("defect 3: a snapshot of a wiped stream is ignored even when the new stream is longer; no event of the new log is skipped", async () => {
    onTestFailed(() => console.error(`\n===== lab diagnostics =====\n${lab.diagnostics()}\n`));
    // Stream A: the agent folds it and leaves a snapshot when it stops.
    lab.agents.start("n1");
    await growPast(await waitOnline());
    const exit = await lab.agents.stop("n1");
    expect(exit.code).toBe(0);
    const snapshotSeq = (JSON.parse(readFileSync(join(lab.agents.stateDir("n1"), "view.json"), "utf8")) as { lastSeq: number }).lastSeq;
    expect(snapshotSeq).toBeGreaterThan(3);

    // The store is wiped; stream B is made by an agent with another state dir and grows past the snapshot.
    const s = lab.nats.server(0);
    await lab.nats.kill(0);
    rmSync(s.storeDir, { recursive: true, force: true });
    mkdirSync(s.storeDir, { recursive: true });
    await lab.nats.restart(0);
    const otherState = join(lab.dir, "state-n1-other");
    lab.agents.start("n1", { extraArgs: ["--state-dir", otherState] });
    await waitOnline();
    const grown = await growPast(snapshotSeq + 3);
    expect(grown).toBeGreaterThan(snapshotSeq);
    expect((await lab.agents.stop("n1")).code).toBe(0);
    const stoppedAt = (await status())!.lastSeq;

    // The agent starts again on the old state dir: it must fold B whole.
    lab.agents.start("n1");
    // Its AgentStarted and ConfigLoaded are in, and it has had time to fold.
    await pollUntil("the restarted agent in the log", async () => ((await status())?.lastSeq ?? 0) >= stoppedAt + 2 || undefined, { timeoutMs: 30_000, intervalMs: 300 });
    await waitOnline();
    expect((await lab.agents.stop("n1")).code).toBe(0);
    const snap = JSON.parse(readFileSync(join(lab.agents.stateDir("n1"), "view.json"), "utf8")) as { lastSeq: number; applied: string[] };
    const applied = new Set(snap.applied);
    expect(snap.lastSeq).toBeGreaterThan(grown);
    // Everything up to where the fold stands must be in it (what came after, as it stopped, is not yet).
    const skipped = (await logIds()).filter((e) => e.seq <= snap.lastSeq && !applied.has(e.id)).map((e) => `#${e.seq} ${e.id}`);
    expect(skipped, "events of the new log the restarted agent never folded").toEqual([]);
  }, 180_000);
});
