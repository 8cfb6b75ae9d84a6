// The agent's own faults in the simulated cluster, beside its host's: acks that come late or never
// (the store keeps the event, the publisher sends it again), and an agent killed and started again
// on its state dir, folding on from the snapshot it saved (view-snapshot.ts, the agent's own format
// and fit check) while what it configured is still there, and the operator's SIGHUP to every node in
// turn (cluster/sighup.ts decideReload and Controller.reconfigure, the agent's own).
import { describe, expect, it } from "vitest";
import { PUBLISH_TIMEOUT_MS } from "@vigil/agent/events/publisher";
import type { Fault } from "./fault-schedule.js";
import { leaseStop } from "./scenarios.js";
import { defaultOptions } from "./sim-options.js";
import { judgeRun } from "./sim-run.js";
import { describeRun, simulate } from "./simulate.js";

const noFencing = defaultOptions({ stopMs: leaseStop, faults: [] });
const fencing = defaultOptions({ fencing: true, stopMs: [1, 300], faults: [] });
const run = (o: typeof noFencing, schedule: Fault[], seed = 7) => {
  const r = simulate(o, seed, { schedule });
  expect(judgeRun(r), describeRun(r, 120)).toEqual([]);
  return r;
};
const lines = (r: { trace: string[] }, re: RegExp) => r.trace.filter((l) => re.test(l));

describe("agent faults", () => {
  it("an agent killed and started again before its peers call it dead folds on from its snapshot, and starts the group it still held afresh", () => {
    const r = run(noFencing, [{ kind: "agent-restart", node: "n1", savedAt: 1200, at: 2000, until: 2100 }]);
    const saved = Number(/saved its fold's snapshot at #(\d+)/.exec(lines(r, /n1 saved its fold/)[0] ?? "")?.[1]);
    expect(saved).toBeGreaterThan(0);
    expect(lines(r, /n1 folds on from its snapshot/)).toEqual([expect.stringContaining(`at #${saved}`)]);
    // Found still running by the new life's probe: stopped, then started again (announced), not adopted.
    const after = r.trace.slice(r.trace.findIndex((l) => l.includes("n1 agent starts again")));
    expect(after.filter((l) => / n1 g1 /.test(l)).map((l) => l.replace(/^\S+ /, ""))).toEqual(
      expect.arrayContaining(["n1 g1 stopping → starting", "n1 g1 starting → started"]),
    );
    expect(r.groups.n1!.g1!).toMatchObject({ state: "started", holds: true });
  });

  it("a snapshot of a stream that was wiped since is not continued: the restarted agent folds the stream as it finds it whole", () => {
    // Restarted before anyone made the stream again; and after the peers rebuilt it, longer by then
    // than the early snapshot (seqs alone would let it continue, and skip the new stream's head).
    const cases = [
      [1200, 2000, /n3 finds no stream: its snapshot waits, it folds from nothing/],
      [45, 4000, /n3 cannot continue its snapshot: folds the whole log/],
    ] as const;
    for (const [savedAt, restart, seen] of cases) {
      const r = run(fencing, [
        { kind: "store-wiped", at: 1500, until: 1500 },
        { kind: "agent-restart", node: "n3", savedAt, at: restart, until: restart + 100 },
      ]);
      expect(lines(r, /n3 saved its fold/).length).toBe(1);
      expect(lines(r, seen).length, `restart at ${restart} ms`).toBe(1);
      expect(lines(r, /n3 folds on from its snapshot/)).toEqual([]);
    }
  });

  it("a group removed and then one added, SIGHUP to one node after another: the removed group stops where it ran, the new one starts on its preferred node, nothing runs twice", () => {
    const sighups = (at: number, order: string[]) => order.map((node, i) => ({ node, at: at + 100 * i }));
    const r = run(fencing, [
      { kind: "config-reload", change: { kind: "remove-group", group: "g1" }, steps: sighups(1000, ["n2", "n1", "n3"]), at: 1000, until: 1200 },
      { kind: "config-reload", change: { kind: "add-group", preferred: "n2" }, steps: sighups(1500, ["n3", "n1", "n2"]), at: 1500, until: 1700 },
    ]);
    expect(lines(r, /ConfigLoaded: configuration reloaded .* 1 change\(s\) applied/).length).toBe(6);
    expect(lines(r, /n1 g1 started\/started → stopping\/stopped: group removed from haresources/).length).toBe(1);
    expect(r.groups.n1!.g1).toMatchObject({ holds: false });
    expect(Object.values(r.groups).filter((g) => g.g4?.state === "started").length).toBe(1);
    expect(r.groups.n2!.g4).toMatchObject({ state: "started", holds: true });
  });

  it("a typo in the files: every node refuses them with the file and line and keeps running as it was", () => {
    const r = run(fencing, [{ kind: "config-reload", change: { kind: "typo" }, steps: [{ node: "n1", at: 1000 }, { node: "n2", at: 1100 }, { node: "n3", at: 1200 }], at: 1000, until: 1200 }]);
    expect(r.records.filter((x) => x.event.type === "ConfigRejected").map((x) => [x.node, (x.event as { errors: string[] }).errors[0]])).toEqual(
      ["n1", "n2", "n3"].map((n) => [n, expect.stringMatching(/^\/sim\/haresources:4: unknown resource agent/)]),
    );
    expect(lines(r, /stopping|ConfigLoaded: configuration reloaded/)).toEqual([]);
  });

  it(`acks slower than the publisher's ${PUBLISH_TIMEOUT_MS} ms while a failover writes events: every event is stored once, nothing is lost`, () => {
    const r = run(fencing, [
      { kind: "slow-acks", ms: 2 * PUBLISH_TIMEOUT_MS, at: 1000, until: 1800 },
      { kind: "link-down", node: "n1", at: 1100, until: 1500 },
    ]);
    // The acks were lost, not the events: the store kept each one, and the publisher sent it again.
    expect(lines(r, /failed: timeout \(stored as #\d+: the ack was lost\)/).length).toBeGreaterThan(0);
  });
});
