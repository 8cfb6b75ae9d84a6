// SIGHUP with a valid change (issue 8): a real `vigil agent` on loopback with Dummy resources applies
// what can change live (groups added and removed, auto_failback), records ConfigLoaded with what
// changed and what waits for a restart (timing), and `vigil status` shows the configured groups as
// the latest ConfigLoaded lists them (a removed group leaves and cannot be moved).
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { LoopbackCluster } from "./loopback-cluster.js";

let c: LoopbackCluster | undefined;
afterEach(async () => {
  await c?.destroy();
  c = undefined;
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

  it("with NATS away at start: the agent starts without it after initdead, a SIGHUP while it starts is not lost, and once NATS answers the log gets everything and commands are carried out", async () => {
    const cl = (c = await LoopbackCluster.create({ cluster: "reload-early", nodes: ["n1"], haresources: "n1 group=web Dummy::STATE(web)\n", extra: ["initdead 3"] }));
    const [web, api] = ["web", "api"].map((g) => cl.dummyState(g, "n1")) as [string, string];
    await cl.nats.kill();
    const agent = cl.start("n1");
    try {
      await cl.until("the agent is connecting to NATS", () => agent.stderr().includes("connecting to NATS"), 15_000);
      expect(agent.stderr()).not.toMatch(/NATS does not answer/);
      cl.writeConfig("n1", { extra: ["initdead 3"], haresources: "n1 group=web Dummy::STATE(web)\nn1 group=api Dummy::STATE(api)\n" });
      cl.signal("n1", "SIGHUP");
      await cl.until("the agent started without NATS", () => agent.stderr().includes("NATS does not answer: starting without the event log"), 15_000);
      await cl.until("the agent read the files again once started", () => agent.stderr().includes("SIGHUP came while starting"), 15_000);
      await cl.until("web, and api (added by the reload), started without NATS", () => existsSync(web) && existsSync(api), 15_000);

      await cl.nats.restart();
      await cl.until("the agent's events reached the log", () => cl.events("ConfigLoaded").find((e) => Array.isArray(e.changes) && (e.changes as string[]).includes("group api added")), 20_000);
      expect(cl.events("AgentStarted").map((e) => e.node)).toEqual(["n1"]);
      const standby = cl.vigil(["node", "standby", "n1", "--wait", "--timeout", "20s"]);
      expect(standby.status, standby.stderr + standby.stdout).toBe(0);
      await cl.until("web and api stopped for the standby", () => !existsSync(web) && !existsSync(api), 15_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- agent stderr ---\n${agent.stderr().slice(-4000)}`);
    } finally {
      await cl.stop("n1");
    }
  }, 90_000);
});
