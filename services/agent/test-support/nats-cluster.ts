// Starts a real three-server JetStream cluster on free loopback ports, for tests. Always stop it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, killServer, waitListening } from "./nats-server.js";

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
  const kill = (i: number) => killServer(children[i]!);
  const stop = async () => {
    await Promise.all(children.map((_, i) => kill(i)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const p of ports) await waitListening(p.client);
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls: ports.map((p) => `nats://127.0.0.1:${p.client}`), kill, stop };
}
