// SIGHUP with a valid change (issue 8): a real `vigil agent` on loopback with Dummy resources applies
// what can change live (groups added and removed, auto_failback), records ConfigLoaded with what
// changed and what waits for a restart (timing), and `vigil status` shows the configured groups as
// the latest ConfigLoaded lists them (a removed group leaves and cannot be moved).
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { LoopbackCluster } from "./loopback-cluster.js";

let c: LoopbackCluster | undefined;
afterAll(async () => {
  await c?.destroy();
});

describe("SIGHUP with a valid change", () => {
  it("applies groups added and removed and auto_failback live, says what waits for a restart, and status follows", async () => {
    const cl = (c = await LoopbackCluster.create({
      cluster: "reload",
      nodes: ["n1"],
      haresources: "n1 group=web Dummy::STATE(web)\nn1 group=db Dummy::STATE(db)\n",
      extra: ["initdead 1", "auto_failback on"],
    }));
    const [web, db, api] = ["web", "db", "api"].map((g) => cl.dummyState(g, "n1")) as [string, string, string];
    const events = (type: string) => cl.events(type);
    const until = <T>(what: string, f: () => T) => cl.until(what, f, 15_000);
    const agent = cl.start("n1");
    try {
      await until("web and db started", () => existsSync(web) && existsSync(db));
      const first = await until("the first ConfigLoaded", () => events("ConfigLoaded")[0]);
      expect(first.digest).toMatch(/^[0-9a-f]{12}$/);

      cl.writeConfig("n1", { extra: ["initdead 1", "deadtime 700ms", "auto_failback off"], haresources: "n1 group=web Dummy::STATE(web)\nn1 group=api Dummy::STATE(api)\n" });
      cl.signal("n1", "SIGHUP");
      const reloaded = await until("a ConfigLoaded with changes", () => events("ConfigLoaded").find((e) => Array.isArray(e.changes)));
      expect(reloaded.changes).toEqual(expect.arrayContaining(["group api added", "group db removed (stopped here first)", "auto_failback on → off"]));
      expect((reloaded.pending as string[]).join("\n")).toMatch(/timing .*deadtimeMs.*waits for a restart/);
      expect(reloaded.digest).not.toBe(first.digest);
      expect(reloaded.autoFailback).toBe("off");
      expect(reloaded.deadtimeMs).toBe(600); // timing waits: the agent still runs with the old one

      // Live: db stopped here, api probed and started, web untouched.
      await until("db stopped and api started", () => !existsSync(db) && existsSync(api));
      expect(existsSync(web)).toBe(true);
      const webStops = events("GroupStopping").filter((e) => e.group === "web");
      expect(webStops).toEqual([]);

      const status = JSON.parse(cl.vigil(["status", "--json"]).stdout) as {
        groups: Array<{ id: string; state: string }>;
        configs: Record<string, { digest: string; pending: string[] }>;
      };
      expect(status.groups.map((g) => g.id).sort()).toEqual(["api", "web"]);
      expect(status.configs.n1?.digest).toBe(reloaded.digest);
      expect(status.configs.n1?.pending.join("\n")).toMatch(/timing/);
      const text = cl.vigil(["status"]).stdout;
      expect(text).toMatch(/2 resource groups configured/);
      expect(text).toMatch(/n1 waits for a restart: timing/);
      const move = cl.vigil(["resource", "move", "db", "n1"]);
      expect(move.status).not.toBe(0);
      expect(move.stderr).toMatch(/unknown group "db"/);

      // The same file again changes nothing and records nothing.
      cl.signal("n1", "SIGHUP");
      await until("the agent logged 'configuration unchanged'", () => agent.stderr().includes("configuration unchanged"));
      expect(events("ConfigLoaded").length).toBe(2);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- agent stderr ---\n${agent.stderr().slice(-4000)}`);
    } finally {
      await cl.stop("n1");
    }
  }, 60_000);
});
