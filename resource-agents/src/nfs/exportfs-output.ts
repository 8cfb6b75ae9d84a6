// Reading `exportfs -v` (pure). nfs-utils prints each export as the path padded to 14 columns, a tab,
// then `client(options)`; a path longer than that is followed by a newline and two tabs instead.
// The anonymous client `*` is shown as `<world>`. Paths are printed unescaped.

export interface ExportEntry {
  path: string;
  client: string;
  options: string[];
}

/** `*` and `<world>` name the same (anonymous) client. */
export function normalizeClient(client: string): string {
  return client === "<world>" ? "*" : client;
}

function clientPart(text: string): { client: string; options: string[] } | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const m = /^(.*?)\((.*)\)$/.exec(t);
  if (!m) return { client: normalizeClient(t), options: [] };
  return { client: normalizeClient(m[1]!), options: m[2] ? m[2].split(",") : [] };
}

export function parseExportfsVerbose(output: string): ExportEntry[] {
  const out: ExportEntry[] = [];
  let pendingPath: string | undefined;
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    if (/^\s/.test(line)) {
      // Continuation: the client of the long path on the line before.
      const c = clientPart(line);
      if (pendingPath !== undefined && c) out.push({ path: pendingPath, ...c });
      pendingPath = undefined;
      continue;
    }
    const tab = line.indexOf("\t");
    const path = (tab < 0 ? line : line.slice(0, tab)).trimEnd();
    const c = tab < 0 ? undefined : clientPart(line.slice(tab + 1));
    if (c) {
      out.push({ path, ...c });
      pendingPath = undefined;
    } else {
      pendingPath = path;
    }
  }
  return out;
}

export function findExport(entries: readonly ExportEntry[], client: string, path: string): ExportEntry | undefined {
  const want = normalizeClient(client);
  const dir = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return entries.find((e) => e.client === want && e.path === dir);
}
