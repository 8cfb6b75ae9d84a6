// With no NATS servers configured, the agent runs a local single-server JetStream itself (the
// single-host demo case). If one already listens on the port (another agent's), it is reused.
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { mkdirSync } from "node:fs";

/** NATS's own default port; VIGIL_LOCAL_NATS_PORT moves it (tests, or a host where 4222 is taken). */
export const LOCAL_NATS_PORT = Number(process.env.VIGIL_LOCAL_NATS_PORT) || 4222;

function listening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

export interface LocalNats {
  url: string;
  child: ChildProcess | null;
  stop(): Promise<void>;
}

export async function ensureLocalNats(storeDir: string, port = LOCAL_NATS_PORT): Promise<LocalNats> {
  const url = `nats://127.0.0.1:${port}`;
  if (await listening(port)) return { url, child: null, stop: async () => {} };
  mkdirSync(storeDir, { recursive: true });
  const child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // Bounded wait for the port: 100 tries of 50 ms.
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`local nats-server exited: ${stderr.trim()}`);
    if (await listening(port)) {
      return {
        url,
        child,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`local nats-server did not listen on ${url} within 5 s: ${stderr.trim()}`);
}
