// Issue 2's lab tests: real agents in real namespaces, heartbeating over real multicast, recording
// membership in a real nats-server; faults are real link-downs, wrong keys and killed servers.
import { afterEach, describe, expect, it, onTestFailed } from "vitest";
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import { createLab, type Lab, type LabOptions } from "./lab.js";
import { logHasLine } from "./log-watch.js";
import { earliestTakeoverMs } from "@vigil/shared/config/derived-timing";

const NODES = ["n1", "n2", "n3"] as const;
/** Start-up of three node processes on a shared two-core box is slow; detection itself is not. */
const STARTUP_MS = 20_000;
const MARGIN_MS = 3_000;

let lab: Lab | undefined;

async function newLab(opts: LabOptions = {}): Promise<Lab> {
  const l = await createLab({ nodes: [...NODES], natsServers: 1, client: true, ...opts });
  lab = l;
  onTestFailed(() => {
    console.error(`\n===== lab diagnostics =====\n${l.diagnostics()}\n`);
  });
  return l;
}

afterEach(async () => {
  const l = lab;
  lab = undefined;
  await l?.destroy();
});

const pairs = (nodes: readonly string[]) => nodes.flatMap((o) => nodes.filter((p) => p !== o).map((p) => [o, p] as const));

/** Every node has published NodeUp for every other. */
async function allSeeEachOther(tail: EventTail, nodes: readonly string[]): Promise<void> {
  await tail.waitForAll(
    pairs(nodes).map(([o, p]) => is("NodeUp", { node: o, peer: p })),
    STARTUP_MS,
    "NodeUp for every pair",
  );
}

async function logAsJson(l: Lab): Promise<LoggedEvent[]> {
  const r = await l.cli.run(["log", "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split("\n")
    .filter((s) => s.trim())
    .map((s) => JSON.parse(s) as LoggedEvent);
}

describe("membership over real multicast, recorded in JetStream", () => {
  it("three agents see each other: each publishes NodeUp for the two others", async () => {
    const l = await newLab();
    l.writeConfigs();
    for (const n of NODES) l.agents.start(n);
    const tail = l.tail();
    await allSeeEachOther(tail, NODES);
    const ups = tail.events().filter((e) => e.type === "NodeUp");
    expect(new Set(ups.map((e) => `${e.node}>${e.peer}`))).toEqual(new Set(pairs(NODES).map(([o, p]) => `${o}>${p}`)));
    for (const e of ups) expect(e.node).not.toBe(e.peer);
  });

  it("a node whose link goes down is published dead by the two others within deadtime, and returned when its link comes back", async () => {
    const l = await newLab();
    l.writeConfigs();
    for (const n of NODES) l.agents.start(n);
    const tail = l.tail();
    await allSeeEachOther(tail, NODES);

    const cutAt = Date.now();
    await l.faults.linkDown("n2");
    const dead = await tail.waitForAll(
      [is("NodeDead", { node: "n1", peer: "n2" }), is("NodeDead", { node: "n3", peer: "n2" })],
      l.timing.deadtimeMs + MARGIN_MS,
      "NodeDead for n2",
    );
    for (const e of dead) {
      const after = Date.parse(e.time) - cutAt;
      // The last heartbeat may have left up to one keepalive before the cut; none can be dead earlier.
      expect(after).toBeGreaterThanOrEqual(earliestTakeoverMs(l.timing) - 100);
      expect(after).toBeLessThanOrEqual(l.timing.deadtimeMs + MARGIN_MS);
    }

    await l.faults.linkUp("n2");
    await tail.waitForAll(
      [is("NodeReturned", { node: "n1", peer: "n2" }), is("NodeReturned", { node: "n3", peer: "n2" })],
      l.timing.deadtimeMs + MARGIN_MS + 5_000,
      "NodeReturned for n2",
    );
    const aboutN2 = tail.events().filter((e) => e.peer === "n2" && e.node === "n1").map((e) => e.type);
    expect(aboutN2.indexOf("NodeDead")).toBeLessThan(aboutN2.lastIndexOf("NodeReturned"));
  });

  it("an agent with a different authkeys key is never accepted, while the others see each other", async () => {
    const l = await newLab();
    l.writeConfigs();
    l.writeConfig("n3", { key: `${l.key}-but-not-the-same` });
    for (const n of NODES) l.agents.start(n);
    const tail = l.tail();
    await tail.waitFor(is("AgentStarted", { node: "n3" }), STARTUP_MS, "n3 starting");
    await allSeeEachOther(tail, ["n1", "n2"]);

    // Absence cannot be awaited: watch for the forbidden event through initdead plus two deadtimes.
    const forbidden = (e: LoggedEvent) =>
      (e.type === "NodeUp" || e.type === "NodeReturned") && (e.peer === "n3" || e.node === "n3");
    const window = l.timing.initdeadMs + 2 * l.timing.deadtimeMs;
    const outcome = await tail.waitFor(forbidden, window, "n3 accepted").then(
      (e) => `accepted: ${e.node} ${e.type} ${e.peer}`,
      () => "never accepted",
    );
    expect(outcome).toBe("never accepted");
    expect(l.agents.proc("n3").alive).toBe(true);
  });

  it("a node killed with SIGKILL is published dead, and comes back with a new generation when started again", async () => {
    const l = await newLab();
    l.writeConfigs();
    for (const n of NODES) l.agents.start(n);
    const tail = l.tail();
    await allSeeEachOther(tail, NODES);
    const firstGen = (await tail.waitFor(is("NodeUp", { node: "n1", peer: "n3" }), 1_000)).generation;
    expect(typeof firstGen).toBe("number");

    const exit = await l.agents.kill9("n3");
    expect(exit.signal).toBe("SIGKILL");
    await tail.waitForAll(
      ["n1", "n2"].map((o) => is("NodeDead", { node: o, peer: "n3" })),
      l.timing.deadtimeMs + MARGIN_MS,
      "NodeDead for the killed n3",
    );

    l.agents.start("n3");
    // heartbeat bumps the generation at every start; a peer sees the node back under its new one.
    const back = await tail.waitFor(
      (e) => e.node === "n1" && e.peer === "n3" && (e.type === "NodeReturned" || e.type === "NodeRestarted"),
      STARTUP_MS,
      "n3 back after its restart",
    );
    expect(back.generation).not.toBe(firstGen);
  });

  it(
    "NATS killed and restarted while a node dies loses no event: each observer's NodeDead is in the log exactly once",
    { timeout: 120_000 },
    async () => {
      const l = await newLab({ natsServers: 3 });
      l.writeConfigs();
      for (const n of NODES) l.agents.start(n);
      const before = l.tail();
      await allSeeEachOther(before, NODES);
      await before.stop();

      for (let i = 0; i < 3; i++) await l.nats.kill(i);
      await l.faults.linkDown("n2");
      // The log is away: watch the observers' own logs for the detection instead (bounded).
      const window = l.timing.deadtimeMs + MARGIN_MS;
      await Promise.all(["n1", "n3"].map((o) => logHasLine(l.agents.logFile(o), /NodeDead/, window)));

      const restartAt = Date.now();
      await Promise.all([0, 1, 2].map((i) => l.nats.restart(i, 30_000)));
      await l.nats.waitMetaLeader(30_000);
      await l.faults.linkUp("n2");

      const after = l.tail();
      // NodeReturned follows NodeDead in each observer's outbox, so once it is in, NodeDead had its chance.
      await after.waitForAll(
        ["n1", "n3"].flatMap((o) => [is("NodeDead", { node: o, peer: "n2" }), is("NodeReturned", { node: o, peer: "n2" })]),
        60_000,
        "NodeDead and NodeReturned for n2 after NATS came back",
      );

      const log = await logAsJson(l);
      for (const o of ["n1", "n3"]) {
        const dead = log.filter(is("NodeDead", { node: o, peer: "n2" }));
        expect(dead, `NodeDead n2 from ${o}`).toHaveLength(1);
        // Observed while every server was down: it waited in the outbox and was published later.
        expect(Date.parse(dead[0]!.time)).toBeLessThan(restartAt);
      }
      const ids = log.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const seqs = log.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    },
  );
});
