// The local agent's view, for `vigil status` while the event log cannot be read: first its live
// answer on STATE/vigil.sock, else the fold it last saved in STATE/view.json. The state dir is
// `--state-dir DIR`, else the agent's default one (/var/lib/vigil/NODE) for `--node`, this host's
// name, or a node of the `--config` directory's ha.cf.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { deserializeView } from "@vigil/agent/events/view-snapshot";
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import type { LocalReport } from "@vigil/agent/local-socket";

export interface LocalSource {
  kind: "agent" | "snapshot";
  path: string;
  node: string | null;
  /** When the agent answered, or when the snapshot was written. */
  time: string;
  live?: LocalReport["live"];
  /** The agent's own NATS connection, as it reports it. */
  natsConnected?: boolean;
}

export type LocalView = { ok: true; view: ClusterView; source: LocalSource } | { ok: false; tried: string[] };

const SOCKET_TIMEOUT_MS = 2_000;

/** Candidate state dirs, in the order they are tried. */
export function stateDirs(f: { stateDir?: string; node?: string; config?: string }): string[] {
  if (f.stateDir) return [f.stateDir];
  const names = [f.node ?? hostname()];
  const haCf = join(f.config ?? process.env.VIGIL_CONFIG ?? "/etc/ha.d", "ha.cf");
  if (!f.node && existsSync(haCf))
    for (const line of readFileSync(haCf, "utf8").split("\n")) {
      const [key, ...rest] = line.replace(/#.*/, "").trim().split(/\s+/);
      if (key === "node") names.push(...rest);
    }
  return [...new Set(names)].map((n) => `/var/lib/vigil/${n}`);
}

export async function readLocalView(f: { stateDir?: string; node?: string; config?: string }): Promise<LocalView> {
  const tried: string[] = [];
  const dirs = stateDirs(f);
  for (const dir of dirs) {
    const sock = join(dir, "vigil.sock");
    if (!existsSync(sock)) continue;
    try {
      const r = JSON.parse(await readSocket(sock)) as LocalReport;
      const o = r.view as { cluster?: string };
      const view = deserializeView(JSON.stringify(r.view), o.cluster ?? "")?.view;
      if (view) {
        if (r.live) overlayLive(view, r.node, r.live);
        return { ok: true, view, source: { kind: "agent", path: sock, node: r.node, time: r.time, live: r.live, natsConnected: r.nats?.connected } };
      }
      tried.push(`${sock}: its answer holds no fold`);
    } catch (e) {
      tried.push(`${sock}: ${(e as Error).message}`);
    }
  }
  for (const dir of dirs) {
    const file = join(dir, "view.json");
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const cluster = (() => {
      try {
        return String(JSON.parse(text).cluster);
      } catch {
        return "";
      }
    })();
    const view = deserializeView(text, cluster)?.view;
    if (view) return { ok: true, view, source: { kind: "snapshot", path: file, node: null, time: statSync(file).mtime.toISOString() } };
    tried.push(`${file}: not a fold this version reads`);
  }
  if (tried.length === 0) tried.push(`no vigil.sock or view.json in ${dirs.join(", ")} (give the agent's --state-dir DIR)`);
  return { ok: false, tried };
}

function readSocket(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const c = createConnection(path);
    const t = setTimeout(() => (c.destroy(), reject(new Error(`no answer within ${SOCKET_TIMEOUT_MS} ms`))), SOCKET_TIMEOUT_MS);
    c.setEncoding("utf8");
    c.on("data", (d: string) => (text += d));
    c.on("end", () => (clearTimeout(t), resolve(text)));
    c.on("error", (e) => (clearTimeout(t), reject(e)));
  });
}

/** What the agent knows now wins over its fold, which stands still while the log is away: each node
 *  as its detector has it, each group where its machines and its live peers' heartbeats put it. */
export function overlayLive(view: ClusterView, self: string, live: LocalReport["live"]): void {
  for (const n of view.nodes.values()) {
    const liveness = n.name === self ? "up" : live.peers[n.name];
    if (liveness === undefined) continue;
    const alive = liveness === "up" || liveness === "late";
    n.alive = alive;
    // Dead while its last heartbeat said it held groups: unclean until fenced or seen stopped.
    n.unclean = !alive && (live.unclean ?? []).includes(n.name);
  }
  for (const [id, where] of Object.entries(live.groups ?? {})) {
    const g = view.groups.get(id);
    if (!g) continue;
    g.node = where.node;
    g.state = where.state as typeof g.state;
    const rs = where.state === "started" ? "started" : where.state === "stopped" ? "stopped" : null;
    if (rs) for (const r of g.resources) if (r.state !== "failed") r.state = rs;
  }
}
