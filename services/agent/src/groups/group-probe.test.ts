import { describe, expect, it } from "vitest";
import { VigilEvent } from "@vigil/shared/events/vocabulary";
import { noticeToEvent } from "./group-notices.js";
import { SimulatedClock } from "xstate";
import { startGroupActor, whenGroup } from "./group-actor.js";
import type { GroupNotice } from "./group-notices.js";
import { groupView } from "./group-view.js";
import { group } from "./scripted-group.js";
import { ScriptedResource, deferred, type Call } from "./scripted-resource.js";
import { OCF } from "@vigil/resource-agents/agent-interface";

describe("group machine: probe at agent start", () => {
  it("finds nothing running and stays stopped without stopping anything", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.actor.send({ type: "PROBE" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs"]);
    expect(g.notices).toEqual([]);
  });

  it("finds the group partly active and, not told to run it, stops it cleanly", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    g.res.ip!.running = true;
    g.res.fs!.running = true;
    g.actor.send({ type: "PROBE" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "monitor nfs", "stop fs", "stop ip"]);
  });

  it("told to run, starts the running prefix again (start is idempotent and announces) and then the rest", async () => {
    const g = group({ ip: 0, fs: 0, nfs: 0 });
    g.res.ip!.running = true;
    g.actor.send({ type: "PROBE", run: true });
    await g.settledIn("started");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "monitor nfs", "start ip", "start fs", "start nfs"]);
  });

  it("told to run, stops an out-of-order group first, then starts it in order", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.fs!.running = true;
    g.actor.send({ type: "PROBE", run: true });
    await g.settledIn("started");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "stop fs", "start ip", "start fs"]);
  });

  it("counts a probe that errors as a failure and stops that resource", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.ip!.running = true;
    g.res.fs!.next("monitor", { rc: 6, message: "device missing" });
    g.actor.send({ type: "PROBE" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "stop fs", "stop ip"]);
    expect(g.notices.find((n) => n.type === "ResourceFailed")).toMatchObject({ resource: "fs", op: "monitor", rc: 6, failcount: 1 });
  });

  it("finds everything running and, told to run, starts each resource (no stop) and records every start", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.ip!.running = true;
    g.res.fs!.running = true;
    g.actor.send({ type: "PROBE", run: true });
    await g.settledIn("started");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "start ip", "start fs"]);
    expect(g.types()).toEqual(["GroupStarting", "ResourceStarting ip", "ResourceStarted ip", "ResourceStarting fs", "ResourceStarted fs", "GroupStarted"]);
    expect(groupView(g.actor.getSnapshot()).resources.map((r) => r.state)).toEqual(["started", "started"]);
  });

  it("finds everything running, is told to run while probing (an agent restarted under placement), and still starts each", async () => {
    const g = group({ ip: 0 });
    g.res.ip!.running = true;
    g.actor.send({ type: "PROBE", run: false });
    g.actor.send({ type: "START", cause: "placed here" });
    await g.settledIn("started");
    expect(g.ops()).toEqual(["monitor ip", "start ip"]);
    expect(g.types()).toEqual(["GroupStarting", "ResourceStarting ip", "ResourceStarted ip", "GroupStarted"]);
  });

  it("told to run while probing and then not (placement changed meanwhile): the goal follows both, so the controller's STOP is sent and the probe's end starts nothing", async () => {
    const g = group({ ip: 0 });
    const probe = deferred();
    g.res.ip!.next("monitor", probe);
    g.actor.send({ type: "PROBE", run: false });
    g.actor.send({ type: "START", cause: "placed here" });
    // The controller sends STOP only when the goal is not "stopped" (controller.ts reconcile).
    expect(g.actor.getSnapshot().context.goal).toBe("started");
    g.actor.send({ type: "STOP", cause: "placed elsewhere" });
    expect(g.actor.getSnapshot().context.goal).toBe("stopped");
    probe.resolve({ rc: OCF.NOT_RUNNING, message: "not running" });
    await g.settledIn("stopped");
    expect(g.ops()).toEqual(["monitor ip"]);
    expect(g.notices).toEqual([]);
  });

  it("a start of an adopted resource that fails stops it too (it was running) and the group fails", async () => {
    const g = group({ ip: 0, fs: 0 });
    g.res.ip!.running = true;
    g.res.fs!.running = true;
    g.res.ip!.next("start", { rc: 1, message: "cannot" });
    g.actor.send({ type: "PROBE", run: true });
    await g.settledIn("failed");
    expect(g.ops()).toEqual(["monitor ip", "monitor fs", "start ip", "stop fs", "stop ip"]);
  });
});

describe("group actor shell", () => {
  it("forwards notices and resolves when the group settles", async () => {
    const calls: Call[] = [];
    const notices: GroupNotice[] = [];
    const ip = new ScriptedResource("ip", calls);
    const actor = startGroupActor(
      { group: "ip", node: "n2", resources: [ip] },
      { clock: new SimulatedClock(), onNotice: (n) => notices.push(n) },
    );
    actor.send({ type: "START" });
    const s = await whenGroup(actor, ["started"], { timeoutMs: 2_000 });
    expect(groupView(s).state).toBe("started");
    expect(notices.map((n) => n.type)).toEqual(["GroupStarting", "ResourceStarting", "ResourceStarted", "GroupStarted"]);
    actor.stop();
  });
});

describe("group notices", () => {
  it("every notice becomes a valid event of the shared vocabulary", async () => {
    const g = group({ ip: 1_000, fs: 0 }, { migrationThreshold: 1 });
    g.res.ip!.next("monitor", { rc: 7, message: "gone" });
    g.res.fs!.next("stop", { rc: 1, message: "busy" });
    g.actor.send({ type: "START" });
    await g.settledIn("started");
    g.clock.increment(1_000);
    await g.settledIn("blocked");
    const kinds = new Set(g.notices.map((n) => n.type));
    expect(kinds).toEqual(new Set(["GroupStarting", "ResourceStarting", "ResourceStarted", "GroupStarted", "ResourceFailed", "GroupStopping", "ResourceStopping", "GroupBlocked", "FenceRequested"]));
    g.notices.forEach((n, i) => {
      const e = noticeToEvent(n, { id: `e${i}`, node: "n1", time: 0 });
      expect(VigilEvent.safeParse(e).success).toBe(true);
      expect(e.type).toBe(n.type);
      expect(e.cause).toBe(n.cause);
    });
  });
});
