// The agent's local socket, `STATE/vigil.sock`: what this node knows right now, for `vigil status`
// when the event log cannot be read (NATS down, electing, unreachable). Read-only: a client connects,
// receives one JSON document and the agent closes the connection; nothing is ever read from it.
import { chmodSync, existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { Logger } from "pino";

export const LOCAL_SOCKET = "vigil.sock";

/** What the agent answers: its fold (as serialized for view.json) and its live membership view. */
export interface LocalReport {
  node: string;
  generation: number;
  /** When the report was made (ISO). */
  time: string;
  /** The fold, as `serializeView` writes it. */
  view: unknown;
  /** This node's quorum by the rule its decisions use, and each peer's liveness as its detector has it. */
  live: {
    quorum: { has: boolean; reason: string; members: string[] };
    peers: Record<string, string>;
    /** Where each group runs as this node knows it now: its own machines, and its live peers' heartbeats. */
    groups?: Record<string, { node: string | null; state: string }>;
    /** Dead peers whose own last heartbeat said they held groups, not fenced since. */
    unclean?: string[];
  };
  nats: { connected: boolean };
}

export class LocalSocket {
  private server: Server | null = null;

  constructor(
    private readonly path: string,
    private readonly report: () => LocalReport,
    private readonly log: Logger,
  ) {}

  /** Listens; a failure (path too long, a read-only dir) is logged, never fatal: the socket is a convenience. */
  async start(): Promise<void> {
    // A socket file left by an agent that was killed: nobody listens on it (the state dir belongs to
    // one agent at a time), so it is removed before listening.
    if (existsSync(this.path)) rmSync(this.path, { force: true });
    const server = createServer((c) => {
      c.on("error", () => {});
      let text: string;
      try {
        text = JSON.stringify(this.report());
      } catch (e) {
        text = JSON.stringify({ error: (e as Error).message });
      }
      c.end(text + "\n");
    });
    await new Promise<void>((resolve) => {
      server.once("error", (e) => {
        this.log.warn({ path: this.path, err: e.message }, "cannot serve the local status socket");
        resolve();
      });
      server.listen(this.path, () => {
        chmodSync(this.path, 0o600);
        this.server = server;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
