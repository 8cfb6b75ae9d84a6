// Writes a node's heartbeat configuration directory (ha.cf, authkeys, haresources) for the lab.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LabTiming {
  keepaliveMs: number;
  warntimeMs: number;
  deadtimeMs: number;
  initdeadMs: number;
}

/** Short enough to keep lab tests quick, still well above scheduling noise on a loaded 2-core box. */
export const FAST_LAB_TIMING: LabTiming = { keepaliveMs: 100, warntimeMs: 300, deadtimeMs: 600, initdeadMs: 2_000 };

export interface ClusterConfigFiles {
  cluster: string;
  nodes: readonly string[];
  /** Medium lines as ha.cf writes them, e.g. `mcast eth0 239.1.2.3 6940 1 0`. */
  media: readonly string[];
  timing: LabTiming;
  /** authkeys: `auth 1` / `1 <method> <key>`. */
  key: string;
  method?: "sha256" | "sha1" | "md5";
  haresources?: string;
  /** Further ha.cf lines (e.g. `bind 127.0.0.11:7001`, `auto_failback off`). */
  extra?: readonly string[];
}

export function renderHaCf(c: ClusterConfigFiles): string {
  const t = c.timing;
  return [
    "# written by the Vigil test lab",
    `cluster ${c.cluster}`,
    `keepalive ${t.keepaliveMs}ms`,
    `warntime ${t.warntimeMs}ms`,
    `deadtime ${t.deadtimeMs}ms`,
    `initdead ${t.initdeadMs}ms`,
    ...c.media,
    ...c.nodes.map((n) => `node ${n}`),
    ...(c.extra ?? []),
    "",
  ].join("\n");
}

/** Writes the three files into `dir` (authkeys mode 0600: heartbeat refuses a key others can read). */
export function writeClusterConfig(dir: string, c: ClusterConfigFiles): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "ha.cf"), renderHaCf(c));
  const authkeys = join(dir, "authkeys");
  writeFileSync(authkeys, `auth 1\n1 ${c.method ?? "sha256"} ${c.key}\n`, { mode: 0o600 });
  chmodSync(authkeys, 0o600);
  writeFileSync(join(dir, "haresources"), c.haresources ?? "# no groups\n");
  return dir;
}
