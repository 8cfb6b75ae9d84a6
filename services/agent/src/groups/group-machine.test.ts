import { describe, expect, it } from "vitest";
import { deferred } from "./scripted-resource.js";
import { flush, group, MONITOR_TIMEOUT, START_TIMEOUT, started, STOP_TIMEOUT, type TestGroup } from "./scripted-group.js";

/** A started group is told STOP, and START while `last`'s stop (the first to run) is still under way;
 *  returns that stop, for the test to end. */
async function startDuringStop(g: TestGroup, last: string, causes: { stop?: string; start?: string } = {}) {
  await started(g);
  const stop = deferred();
  g.res[last]!.next("stop", stop);
  g.actor.send({ type: "STOP", ...(causes.stop ? { cause: causes.stop } : {}) });
  await flush();
  g.actor.send({ type: "START", ...(causes.start ? { cause: causes.start } : {}) });
  return stop;
}

describe("group machine: start and stop order", () => {
  it("starts resources left to right, each only after the one before it runs", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    const ipStart = deferred();
    g.res.ip!.next("start", ipStart);
    g.actor.send({ type: "START" });
    await flush();
    expect(g.ops()).toEqual(["start ip"]);
    expect(g.view().state).toBe("starting");
    ipStart.resolve({ rc: 0, message: "ok" });
    await g.settledIn("started");
    expect(g.ops()).toEqual(["start ip", "start fs", "start nfs"]);
    expect(g.types()).toEqual([
      "GroupStarting",
      "ResourceStarting ip", "ResourceStarted ip",
      "ResourceStarting fs", "ResourceStarted fs",
      "ResourceStarting nfs", "ResourceStarted nfs",
      "GroupStarted",
    ]);
    expect(g.view().resources.map((r) => r.state)).toEqual(["started", "started", "started"]);
  });

  it("stops resources right to left and reports the group stopped", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    await started(g);
    g.actor.send({ type: "STOP" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["stop nfs", "stop fs", "stop ip"]);
    expect(g.types()).toEqual([
      "GroupStopping",
      "ResourceStopping nfs", "ResourceStopped nfs",
      "ResourceStopping fs", "ResourceStopped fs",
      "ResourceStopping ip", "ResourceStopped ip",
      "GroupStopped",
    ]);
  });

  it("passes each action the resource's own timeout, or the configured override", async () => {
    const g = group({ ip: 0, fs: 0 }, { overrides: { fs: { timeouts: { start: 1_234 } } } });
    g.actor.send({ type: "START" });
    await g.settledIn("started");
    expect(g.calls.map((c) => c.timeoutMs)).toEqual([START_TIMEOUT, 1_234]);
  });
});

describe("group machine: start failures", () => {
  it("a failed start stops what was started, right to left, and leaves the group failed", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    g.res.nfs!.next("start", { rc: 5, message: "nfsd not installed" });
    g.actor.send({ type: "START" });
    await g.settledIn("failed");
    // The failed resource is stopped too: OCF leaves a failed start in an unknown state.
    expect(g.ops()).toEqual(["start ip", "start fs", "start nfs", "stop nfs", "stop fs", "stop ip"]);
    const failure = g.notices.find((n) => n.type === "ResourceFailed");
    // Pacemaker's start-failure-is-fatal: the failcount jumps to the threshold (default 3).
    expect(failure).toMatchObject({ resource: "nfs", op: "start", rc: 5, message: "nfsd not installed", failcount: 3 });
    expect(g.types().slice(-2)).toEqual(["ResourceStopped ip", "GroupStopped"]);
    expect(g.view().resources).toEqual([
      { id: "ip", state: "stopped", failcount: 0 },
      { id: "fs", state: "stopped", failcount: 0 },
      { id: "nfs", state: "stopped", failcount: 3 },
    ]);
  });

  it("a failed start counts once when start failures are not fatal, and up to a custom threshold when they are", async () => {
    const lenient = group({ ip: 0 }, { startFailureIsFatal: false });
    lenient.res.ip!.next("start", { rc: 1, message: "no" });
    lenient.actor.send({ type: "START" });
    await lenient.settledIn("failed");
    expect(lenient.view().resources[0]!.failcount).toBe(1);
    const strict = group({ ip: 0 }, { overrides: { ip: { migrationThreshold: 5 } } });
    strict.res.ip!.next("start", { rc: 1, message: "no" });
    strict.actor.send({ type: "START" });
    await strict.settledIn("failed");
    expect(strict.view().resources[0]!.failcount).toBe(5);
  });

  it("a start that never answers fails at its timeout, and its action is aborted", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.fs!.next("start", "hang");
    g.actor.send({ type: "START" });
    await g.until(() => g.ops().includes("start fs"));
    g.clock.increment(START_TIMEOUT - 1);
    await flush();
    expect(g.view().state).toBe("starting");
    const signal = g.calls.find((c) => c.op === "start" && c.resource === "fs")!.signal!;
    expect(signal.aborted).toBe(false);
    g.clock.increment(1);
    await g.settledIn("failed");
    expect(signal.aborted).toBe(true);
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ resource: "fs", op: "start", rc: 1 });
    expect(g.ops()).toEqual(["start ip", "start fs", "stop fs", "stop ip"]);
  });

  it("a start that throws counts as OCF rc 1", async () => {
    const g = group({ ip: 0 });
    g.res.ip!.start = () => Promise.reject(new Error("spawn ip ENOENT"));
    g.actor.send({ type: "START" });
    await g.settledIn("failed");
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ rc: 1, message: "spawn ip ENOENT" });
  });
});

describe("group machine: monitors and recovery", () => {
  it("monitors each resource on its own interval", async () => {
    const g = group({ ip: 2_000, fs: 3_000, nfs: 0 });
    await started(g);
    g.clock.increment(1_999);
    await flush();
    expect(g.ops()).toEqual([]);
    for (let t = 0; t < 6_001; t += 1_000) {
      g.clock.increment(1_000);
      await flush();
    }
    // From t=0: ip at 2,4,6,8 s; fs at 3,6 s; nfs never.
    expect(g.ops().filter((o) => o === "monitor ip")).toHaveLength(4);
    expect(g.ops().filter((o) => o === "monitor fs")).toHaveLength(2);
    expect(g.ops()).not.toContain("monitor nfs");
    expect(g.view().state).toBe("started");
  });

  it("a monitor failure below the threshold restarts that resource and those right of it, in place", async () => {
    const g = group({ ip: 10_000, fs: 5_000, nfs: 0 });
    await started(g);
    g.res.fs!.next("monitor", { rc: 7, message: "not mounted" });
    g.clock.increment(5_000);
    await g.until(() => g.view().state === "started" && g.ops().includes("start nfs"));
    expect(g.ops()).toEqual(["monitor fs", "stop nfs", "stop fs", "start fs", "start nfs"]);
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ resource: "fs", op: "monitor", rc: 7, failcount: 1 });
    // The group as a whole never stopped: no group notices, and ip kept running throughout.
    expect(g.types().filter((t) => t.startsWith("Group"))).toEqual([]);
    expect(g.view().resources.map((r) => [r.id, r.state, r.failcount])).toEqual([
      ["ip", "started", 0],
      ["fs", "started", 1],
      ["nfs", "started", 0],
    ]);
    // Monitoring goes on after the recovery.
    g.calls.length = 0;
    g.clock.increment(5_000);
    await g.until(() => g.ops().includes("monitor fs"));
  });

  it("a monitor that times out counts as a failure", async () => {
    const g = group({ ip: 1_000 });
    await started(g);
    g.res.ip!.next("monitor", "hang");
    g.clock.increment(1_000);
    await flush();
    g.clock.increment(MONITOR_TIMEOUT);
    await g.until(() => g.ops().includes("start ip"));
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ op: "monitor", rc: 1, failcount: 1 });
    expect(g.calls[0]!.signal!.aborted).toBe(true);
  });

  it("reaching the migration threshold stops the whole group and leaves it failed", async () => {
    const g = group({ ip: 0, fs: 5_000, nfs: 0 }, { migrationThreshold: 2 });
    await started(g);
    g.res.fs!.next("monitor", { rc: 1, message: "fs error" }, { rc: 1, message: "fs error again" });
    g.clock.increment(5_000);
    await g.until(() => g.view().state === "started" && g.ops().includes("start nfs"));
    g.calls.length = 0;
    g.clock.increment(5_000);
    await g.settledIn("failed");
    expect(g.ops()).toEqual(["monitor fs", "stop nfs", "stop fs", "stop ip"]);
    const failures = g.notices.filter((n) => n.type === "ResourceFailed");
    expect(failures.map((f) => f.type === "ResourceFailed" && f.failcount)).toEqual([1, 2]);
    expect(g.types().filter((t) => t.startsWith("Group"))).toEqual(["GroupStopping", "GroupStopped"]);
    expect(g.view().resources.find((r) => r.id === "fs")!.failcount).toBe(2);
    // Nothing is monitored in failed.
    g.calls.length = 0;
    g.clock.increment(60_000);
    await flush();
    expect(g.ops()).toEqual([]);
  });

  it("a threshold of 0 never migrates: every failure recovers in place", async () => {
    const g = group({ ip: 1_000 }, { migrationThreshold: 0 });
    await started(g);
    for (let i = 1; i <= 5; i++) {
      g.res.ip!.next("monitor", { rc: 7, message: "gone" });
      g.clock.increment(1_000);
      await g.until(() => g.view().state === "started" && g.view().resources[0]!.failcount === i);
    }
    expect(g.view().state).toBe("started");
  });

  it("failcounts folded from the log count toward the threshold", async () => {
    const g = group({ ip: 1_000 }, { failcounts: { ip: 2 } });
    await started(g);
    g.res.ip!.next("monitor", { rc: 7, message: "gone" });
    g.clock.increment(1_000);
    await g.settledIn("failed");
    expect(g.view().resources[0]!.failcount).toBe(3);
  });
});

describe("group machine: failed stops block and fence", () => {
  it("a failed stop blocks the group, requests fencing of this node, and runs nothing more", async () => {
    const g = group({ ip: 1_000, fs: 1_000, nfs: 0 });
    await started(g);
    g.res.fs!.next("stop", { rc: 1, message: "umount: target is busy" });
    g.actor.send({ type: "STOP" });
    await g.settledIn("blocked");
    expect(g.ops()).toEqual(["stop nfs", "stop fs"]);
    expect(g.notices.slice(-3)).toEqual([
      expect.objectContaining({ type: "ResourceFailed", resource: "fs", op: "stop", rc: 1, failcount: 1 }),
      expect.objectContaining({ type: "GroupBlocked", group: "web", reason: expect.stringContaining("target is busy") }),
      expect.objectContaining({ type: "FenceRequested", victim: "n1" }),
    ]);
    g.actor.send({ type: "START" });
    g.actor.send({ type: "STOP" });
    g.actor.send({ type: "PROBE", run: true });
    g.clock.increment(120_000);
    await flush();
    expect(g.ops()).toEqual(["stop nfs", "stop fs"]);
    expect(g.view().state).toBe("blocked");
    expect(g.view().resources.map((r) => r.state)).toEqual(["started", "failed", "stopped"]);
  });

  it("a stop that times out blocks the group too", async () => {
    const g = group({ ip: 0, fs: 0 });
    await started(g);
    g.res.fs!.next("stop", "hang");
    g.actor.send({ type: "STOP" });
    await flush();
    g.clock.increment(STOP_TIMEOUT);
    await g.settledIn("blocked");
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ op: "stop", message: expect.stringContaining("timed out") });
    expect(g.notices.at(-1)).toMatchObject({ type: "FenceRequested", victim: "n1" });
    expect(g.ops()).toEqual(["stop fs"]);
  });

  it("a stop failing while unwinding a failed start blocks rather than reporting failed", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.fs!.next("start", { rc: 1, message: "no" }).next("stop", { rc: 1, message: "still no" });
    g.actor.send({ type: "START" });
    await g.settledIn("blocked");
    expect(g.ops()).toEqual(["start ip", "start fs", "stop fs"]);
  });

  it("UNBLOCK re-probes and stops cleanly what still runs", async () => {
    const g = group({ ip: 0, fs: 0 });
    await started(g);
    g.res.fs!.next("stop", { rc: 1, message: "busy" });
    g.actor.send({ type: "STOP" });
    await g.settledIn("blocked");
    g.calls.length = 0;
    g.actor.send({ type: "UNBLOCK" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "stop fs", "stop ip"]);
    expect(g.view().resources.map((r) => r.failcount)).toEqual([0, 1]);
  });
});

describe("group machine: commands while busy", () => {
  it("STOP during starting lets the current start finish, starts nothing more, then stops right to left", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    const fsStart = deferred();
    g.res.fs!.next("start", fsStart);
    g.actor.send({ type: "START" });
    await g.until(() => g.ops().includes("start fs"));
    g.actor.send({ type: "STOP" });
    await flush();
    expect(g.view().state).toBe("starting");
    fsStart.resolve({ rc: 0, message: "mounted" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["start ip", "start fs", "stop fs", "stop ip"]);
    expect(g.types().filter((t) => t.startsWith("Group"))).toEqual(["GroupStarting", "GroupStopping", "GroupStopped"]);
  });

  it("START during stopping lets the stop finish, then starts again left to right", async () => {
    const g = group({ ip: 0, fs: 0 });
    const fsStop = await startDuringStop(g, "fs");
    fsStop.resolve({ rc: 0, message: "unmounted" });
    await g.until(() => g.view().state === "started" && g.ops().length === 4);
    expect(g.ops()).toEqual(["stop fs", "stop ip", "start ip", "start fs"]);
  });

  it("START during stopping: the stop's notices keep the stop's cause, the start's carry the START's", async () => {
    const g = group({ ip: 0 });
    const ipStop = await startDuringStop(g, "ip", { stop: "stalled: stopping first", start: "preferred node n1" });
    ipStop.resolve({ rc: 0, message: "ok" });
    await g.until(() => g.view().state === "started" && g.ops().length === 2);
    const causes = g.notices.map((n) => `${n.type}: ${n.cause}`);
    expect(causes).toEqual([
      "GroupStopping: stalled: stopping first",
      "ResourceStopping: stalled: stopping first",
      "ResourceStopped: stalled: stopping first",
      "GroupStopped: stalled: stopping first",
      "GroupStarting: preferred node n1",
      "ResourceStarting: preferred node n1",
      "ResourceStarted: preferred node n1",
      "GroupStarted: preferred node n1",
    ]);
  });

  it("STOP during an in-place recovery widens it to stopping the whole group", async () => {
    const g = group({ ip: 0, fs: 1_000 });
    await started(g);
    const fsStop = deferred();
    g.res.fs!.next("monitor", { rc: 7, message: "gone" }).next("stop", fsStop);
    g.clock.increment(1_000);
    await g.until(() => g.ops().includes("stop fs"));
    g.actor.send({ type: "STOP", cause: "node going to standby" });
    fsStop.resolve({ rc: 0, message: "unmounted" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor fs", "stop fs", "stop ip"]);
    expect(g.notices.find((n) => n.type === "GroupStopping")).toMatchObject({ cause: "node going to standby" });
  });

  it("STOP while a monitor runs abandons the monitor and stops the group", async () => {
    const g = group({ ip: 1_000 });
    await started(g);
    g.res.ip!.next("monitor", "hang");
    g.clock.increment(1_000);
    await g.until(() => g.ops().includes("monitor ip"));
    g.actor.send({ type: "STOP" });
    await g.settledIn("stopped");
    expect(g.calls[0]!.signal!.aborted).toBe(true);
    expect(g.ops()).toEqual(["monitor ip", "stop ip"]);
  });

  it("CLEANUP resets failcounts and leaves failed for stopped, from where the group starts again", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.fs!.next("start", { rc: 1, message: "no" });
    g.actor.send({ type: "START" });
    await g.settledIn("failed");
    g.actor.send({ type: "START" });
    await flush();
    expect(g.view().state).toBe("failed");
    g.actor.send({ type: "CLEANUP" });
    expect(g.view()).toEqual({
      state: "stopped",
      resources: [
        { id: "ip", state: "stopped", failcount: 0 },
        { id: "fs", state: "stopped", failcount: 0 },
      ],
    });
    g.actor.send({ type: "START" });
    await g.settledIn("started");
  });
});

describe("group machine: a lease in doubt (the node was stalled past it, the controller not yet told)", () => {
  it("a monitor failure then stops the whole group instead of recovering in place: nothing is started", async () => {
    let sound = true;
    const g = group({ ip: 10_000, fs: 5_000, nfs: 0 }, { leaseSound: () => sound });
    await started(g);
    sound = false;
    g.res.fs!.next("monitor", { rc: 7, message: "not mounted" });
    g.clock.increment(5_000);
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor fs", "stop nfs", "stop fs", "stop ip"]);
    expect(g.types()).toEqual([
      "ResourceFailed fs",
      "ResourceStopping nfs", "ResourceStopped nfs",
      "ResourceStopping fs", "ResourceStopped fs",
      "GroupStopping",
      "ResourceStopping ip", "ResourceStopped ip",
      "GroupStopped",
    ]);
    expect(g.notices.find((n) => n.type === "GroupStopping")?.cause).toMatch(/stalled past its lease/);
    // The controller decides what follows: a START once the lease is sound again starts it.
    sound = true;
    g.actor.send({ type: "START" });
    await g.settledIn("started");
  });

  it("a START kept from before a stop does not start the group after it while the lease is in doubt", async () => {
    let sound = true;
    const g = group({ ip: 0, fs: 0 }, { leaseSound: () => sound });
    const fsStop = await startDuringStop(g, "fs");
    sound = false;
    fsStop.resolve({ rc: 0, message: "unmounted" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["stop fs", "stop ip"]);
    expect(g.actor.getSnapshot().context.goal).toBe("stopped");
  });

  it("a start under way starts no further resource once the lease is in doubt, and unwinds", async () => {
    let sound = true;
    const g = group({ ip: 0, fs: 0, nfs: 0 }, { leaseSound: () => sound });
    const ipStart = deferred();
    g.res.ip!.next("start", ipStart);
    g.actor.send({ type: "START" });
    await flush();
    sound = false;
    ipStart.resolve({ rc: 0, message: "ok" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["start ip", "stop ip"]);
  });
});
