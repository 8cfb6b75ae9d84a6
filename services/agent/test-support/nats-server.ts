// Starts a real nats-server with JetStream on a free loopback port, for tests. Always stop it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestNats {
  url: string;
  port: number;
  storeDir: string;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ port, host: "127.0.0.1" });
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });

/** Waits (bounded: 5 s) until a server listens on `port`. */
export async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nats-server did not listen on ${port}`);
}

/** kill -9 of a server this test started; resolves once it has exited (at once if it had). */
export async function killServer(c: ChildProcess | null): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once("exit", r));
  c.kill("SIGKILL");
  await exited;
}

export async function startTestNats(): Promise<TestNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "vigil-nats-"));
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], { stdio: "ignore" });
    await waitListening(port);
  };
  const kill = () => killServer(child);
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
