// Reading /proc/self/mounts (pure). The kernel escapes space, tab, newline and backslash in device
// and mount-point fields as octal (`\040`), see proc(5) / getmntent(3).

export interface MountEntry {
  device: string;
  mountPoint: string;
  fstype: string;
  options: string[];
}

export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !f[0] || !f[1] || !f[2]) continue;
    out.push({
      device: unescapeMountField(f[0]),
      mountPoint: unescapeMountField(f[1]),
      fstype: f[2],
      options: (f[3] ?? "").split(","),
    });
  }
  return out;
}

/** Strips trailing slashes so `/data/` and `/data` name the same mount point. */
export function normalizeDir(dir: string): string {
  const d = dir.replace(/\/+$/, "");
  return d === "" ? "/" : d;
}

/** The mount visible at dir: the last one listed, since a later mount on the same point hides earlier ones. */
export function mountAt(entries: readonly MountEntry[], dir: string): MountEntry | undefined {
  const want = normalizeDir(dir);
  let found: MountEntry | undefined;
  for (const e of entries) if (e.mountPoint === want) found = e;
  return found;
}

/** Mount points strictly below dir, deepest first: the order they must be unmounted in. */
export function mountsBelow(entries: readonly MountEntry[], dir: string): string[] {
  const prefix = normalizeDir(dir) === "/" ? "/" : `${normalizeDir(dir)}/`;
  const below = [...new Set(entries.map((e) => e.mountPoint).filter((m) => m.startsWith(prefix)))];
  return below.sort((a, b) => b.split("/").length - a.split("/").length || b.localeCompare(a));
}

/** Whether the mounted device is the configured one, given every name the configured device is known
 *  by (its realpath, the loop devices backed by it when it is an image file, its label/uuid lookup). */
export function sameDevice(mounted: string, configuredNames: readonly string[]): boolean {
  return configuredNames.includes(mounted);
}
