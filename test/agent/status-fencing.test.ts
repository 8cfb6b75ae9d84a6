// Issue 8, stale reasons and recovery without fencing, on real agents over loopback: the "why" line
// follows `resource clear`; a kill -9'd holder's group restarted elsewhere without fencing is recorded
// (RecoveredWithoutFencing) and shown; with `require_fencing on` it waits for `vigil node confirm-fenced`.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { LoopbackCluster, type StatusJson } from "./loopback-cluster.js";

let c: LoopbackCluster | undefined;
afterEach(async () => {
  await c?.destroy();
  c = undefined;
});

const web = (s: StatusJson) => s.groups.find((g) => g.id === "web")!;
const startedOn = (s: StatusJson, node: string) => web(s).state === "started" && web(s).node === node;

describe("status reasons and fencing policy (loopback agents)", () => {
  it("the why line follows resource clear; a group restarted after a kill -9 without fencing is recorded and shown", { timeout: 120_000 }, async () => {
    const cl = (c = await LoopbackCluster.create({
      cluster: "unfenced",
      nodes: ["n1", "n2", "n3"],
      haresources: "n2 group=web Dummy::STATE(web)\n",
      extra: ["auto_failback off"],
    }));
    for (const n of cl.o.nodes) cl.start(n);
    await cl.until("web started on n2", () => startedOn(cl.statusJson(), "n2"));

    const move = cl.vigil(["resource", "move", "web", "n3", "--wait"]);
    expect(move.status, move.stderr).toBe(0);
    await cl.until("why says moved by operator", () => /moved to n3 by operator/.test(web(cl.statusJson()).reason ?? ""));
    const clear = cl.vigil(["resource", "clear", "web"]);
    expect(clear.status, clear.stderr).toBe(0);
    // auto_failback off: web stays on n3, and the reason must say so rather than the cleared move.
    const why = await cl.until("why no longer says moved by operator", () => {
      const g = web(cl.statusJson());
      return g.node === "n3" && g.reason && !/by operator/.test(g.reason) ? g.reason : null;
    });
    expect(why).toMatch(/auto_failback off: stays on n3/);

    await cl.stop("n3", "SIGKILL");
    const s = await cl.until("web started on n2 again", () => {
      const st = cl.statusJson();
      return startedOn(st, "n2") ? st : null;
    });
    const recovered = cl.events().filter((e) => e.type === "RecoveredWithoutFencing");
    expect(recovered).toEqual([expect.objectContaining({ node: "n2", group: "web", victim: "n3" })]);
    expect(s.warnings).toEqual(expect.arrayContaining([expect.objectContaining({ type: "RecoveredWithoutFencing", group: "web", node: "n3" })]));
    expect(cl.vigil(["status"]).stdout).toMatch(/WARNING: web was started on n2 while n3, which held it, was dead and not fenced/);
  });

  it("require_fencing on: a kill -9'd holder's group waits, UNCLEAN, until vigil node confirm-fenced", { timeout: 120_000 }, async () => {
    const cl = (c = await LoopbackCluster.create({
      cluster: "mustfence",
      nodes: ["n1", "n2", "n3"],
      haresources: "n2 group=web Dummy::STATE(web)\n",
      extra: ["auto_failback off", "require_fencing on"],
    }));
    for (const n of cl.o.nodes) cl.start(n);
    await cl.until("web started on n2", () => startedOn(cl.statusJson(), "n2"));

    const early = cl.vigil(["node", "confirm-fenced", "n2"]);
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/n2 is online: the live nodes hear it/);

    await cl.stop("n2", "SIGKILL");
    await cl.until("n1 and n3 call n2 dead", () => {
      const ev = cl.events();
      return ["n1", "n3"].every((o) => ev.some((e) => e.type === "NodeDead" && e.node === o && e.peer === "n2"));
    });
    // Give the survivors time to (wrongly) start it: several deadtimes.
    await new Promise((r) => setTimeout(r, 3_000));
    const waiting = cl.statusJson();
    expect(waiting.nodes.find((n) => n.name === "n2")!.state).toBe("unclean");
    expect(web(waiting)).toMatchObject({ state: "blocked", unknown: true, node: null, lastNode: "n2" });
    expect(existsSync(cl.dummyState("web", "n1")) || existsSync(cl.dummyState("web", "n3"))).toBe(false);
    expect(web(waiting).reason).toMatch(/n2 unclean/);

    const confirm = cl.vigil(["node", "confirm-fenced", "n2"]);
    expect(confirm.status, confirm.stderr).toBe(0);
    const after = await cl.until("web started on n3 after the confirmation", () => {
      const st = cl.statusJson();
      return startedOn(st, "n3") ? st : null;
    });
    expect(after.nodes.find((n) => n.name === "n2")!.state).toBe("offline");
    expect(cl.events().filter((e) => e.type === "RecoveredWithoutFencing")).toEqual([]);

    // Again: already so, at once, and nothing recorded (main recorded a second FenceConfirmed).
    const again = cl.vigil(["node", "confirm-fenced", "n2"]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^already so: n2 was confirmed down \(#\d+\) and has not been heard since; nothing recorded$/m);
    expect(cl.events().filter((e) => e.type === "FenceConfirmed")).toHaveLength(1);
  });
});
