// Reading `drbdadm role` and `drbdadm status` output (pure).
//  - DRBD 8.x `drbdadm role r0` prints `local/peer`: `Primary/Secondary`, `Secondary/Unknown`, or
//    `Unconfigured` when the resource is down.
//  - DRBD 9 `drbdadm role r0` prints the local role alone: `Primary`, `Secondary`.
//  - DRBD 9 `drbdadm status r0` prints the resource line `r0 role:Primary`, local volumes indented
//    by two (`disk:UpToDate` or `volume:0 disk:UpToDate`), peers by two (`peer role:Secondary` or
//    `peer connection:Connecting`) and peer volumes by four (`replication:Established peer-disk:UpToDate`).

export type DrbdRole = "Primary" | "Secondary" | "Unknown" | "Unconfigured";

export interface RoleReading {
  local: DrbdRole;
  /** DRBD 8's peer role, when printed. */
  peer?: DrbdRole;
}

const ROLES = new Set<string>(["Primary", "Secondary", "Unknown"]);

/** Reads the first line that is a role; undefined when the output says nothing we recognise. */
export function parseDrbdRole(output: string): RoleReading | undefined {
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "Unconfigured") return { local: "Unconfigured" };
    const m = /^(\w+)(?:\/(\w+))?$/.exec(line);
    if (!m || !ROLES.has(m[1]!)) continue;
    const reading: RoleReading = { local: m[1] as DrbdRole };
    if (m[2] && ROLES.has(m[2])) reading.peer = m[2] as DrbdRole;
    return reading;
  }
  return undefined;
}

export interface DrbdPeerStatus {
  name: string;
  role?: string;
  connection?: string;
  volumes: Record<string, string>[];
}

export interface DrbdResourceStatus {
  name: string;
  role: string;
  /** Extra fields on the resource line (e.g. `suspended:user`). */
  fields: Record<string, string>;
  volumes: Record<string, string>[];
  peers: DrbdPeerStatus[];
}

function fields(words: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf(":");
    if (i > 0) out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out;
}

/** Parses DRBD 9 `drbdadm status` text (one or several resources, blank-line separated). */
export function parseDrbdStatus(output: string): DrbdResourceStatus[] {
  const out: DrbdResourceStatus[] = [];
  let res: DrbdResourceStatus | undefined;
  let peer: DrbdPeerStatus | undefined;
  for (const raw of output.split("\n")) {
    if (raw.trim() === "") continue;
    const indent = raw.length - raw.trimStart().length;
    const words = raw.trim().split(/\s+/);
    const first = words[0]!;
    if (indent === 0) {
      const f = fields(words.slice(1));
      res = { name: first, role: f.role ?? "Unknown", fields: f, volumes: [], peers: [] };
      peer = undefined;
      out.push(res);
    } else if (!res) {
      continue;
    } else if (indent <= 2 && first.includes(":")) {
      res.volumes.push(fields(words));
      peer = undefined;
    } else if (indent <= 2) {
      const f = fields(words.slice(1));
      peer = { name: first, volumes: [] };
      if (f.role) peer.role = f.role;
      if (f.connection) peer.connection = f.connection;
      res.peers.push(peer);
    } else if (peer) {
      peer.volumes.push(fields(words));
    }
  }
  return out;
}
