// Starts a real three-server JetStream cluster on free loopback ports, for tests. Always stop it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, listening } from "./nats-server.js";

export interface TestNatsCluster {
  urls: string[];
  /** kill -9 of server `i` (0-based); resolves once it has exited. */
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestNatsCluster(size = 3): Promise<TestNatsCluster> {
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })));
  const dir = mkdtempSync(join(tmpdir(), "vigil-nats-cluster-"));
  const children: ChildProcess[] = ports.map((p, i) => {
    const routes = ports.filter((_, j) => j !== i).map((q) => `nats://127.0.0.1:${q.route}`);
    const args = ["-js", "-sd", join(dir, `s${i + 1}`), "-a", "127.0.0.1", "-p", String(p.client), "-n", `s${i + 1}`];
    return spawn("nats-server", [...args, "--cluster_name", "vigil-test", "--cluster", `nats://127.0.0.1:${p.route}`, "--routes", routes.join(",")], { stdio: "ignore" });
  });
  const kill = async (i: number) => {
    const c = children[i]!;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  const stop = async () => {
    await Promise.all(children.map((_, i) => kill(i)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of ports) {
      let up = false;
      for (let i = 0; i < 200 && !up; i++) up = (await listening(p.client)) || (await new Promise((r) => setTimeout(r, 25)), false);
      if (!up) throw new Error(`nats-server did not listen on ${p.client}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls: ports.map((p) => `nats://127.0.0.1:${p.client}`), kill, stop };
}
