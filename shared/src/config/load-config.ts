// The filesystem edge of configuration: read ha.cf, authkeys and haresources from one directory,
// parse each, and check what ties them together. Every error names the file by the path as given.
import { open } from "node:fs/promises";
import { parseAuthKeys } from "./authkeys-parser.js";
import { sortConfigErrors, type ConfigError } from "./config-error.js";
import { parseHaCfDetailed } from "./hacf-parser.js";
import { parseHaresourcesDetailed } from "./haresources-parser.js";
import { configWarnings } from "./config-warnings.js";
import { resolveFenceAgent } from "./hacf-fence.js";
import { ClusterConfig, type GroupSpec } from "./schemas.js";

export interface LoadConfigOptions {
  /** This node's name (`uname -n` or `--node`); heartbeat refuses to start unless ha.cf lists it. */
  localNode?: string;
}

type FileRead = { ok: true; text: string; mode: number } | { ok: false; error: ConfigError };

/** A valid configuration may come with warnings (config-warnings.ts): printed, never refused. A refused
 *  one still says which groups of haresources parsed (`config check` checks their resources too). */
export type LoadedConfig = { ok: true; value: ClusterConfig; warnings: ConfigError[] } | { ok: false; errors: ConfigError[]; groups: GroupSpec[] };

export async function loadConfig(dir: string, opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const base = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  const path = (name: string) => (base === "/" ? `/${name}` : `${base}/${name}`);
  const [haCfFile, authFile, resFile] = await Promise.all(
    [path("ha.cf"), path("authkeys"), path("haresources")].map(readConfigFile),
  ) as [FileRead, FileRead, FileRead];

  const haCfErrors: ConfigError[] = [];
  const authErrors: ConfigError[] = [];
  const resErrors: ConfigError[] = [];
  const detail = haCfFile.ok ? parseHaCfDetailed(haCfFile.text, path("ha.cf")) : undefined;
  if (!haCfFile.ok) haCfErrors.push(haCfFile.error);
  else if (detail && !detail.result.ok) haCfErrors.push(...detail.result.errors);

  const auth = authFile.ok
    ? parseAuthKeys(authFile.text, path("authkeys"), { mode: authFile.mode, allowCrc: detail?.allowCrc ?? false })
    : undefined;
  if (!authFile.ok) authErrors.push(authFile.error);
  else if (auth && !auth.ok) authErrors.push(...auth.errors);

  const res = resFile.ok ? parseHaresourcesDetailed(resFile.text, path("haresources")) : undefined;
  if (!resFile.ok) resErrors.push(resFile.error);
  else if (res) resErrors.push(...res.errors);

  // Cross-checks need the node list; when ha.cf lists none, that is already reported.
  if (detail && detail.nodeLines.size > 0) {
    for (const g of res?.groups ?? []) {
      if (!detail.nodeLines.has(g.preferredNode.toLowerCase())) {
        resErrors.push({
          file: path("haresources"),
          line: g.line,
          message: `node "${g.preferredNode}" is not listed in any node directive of ha.cf`,
        });
      }
    }
    if (opts.localNode !== undefined && !detail.nodeLines.has(opts.localNode.toLowerCase())) {
      // Reported where the node list ends: that is where the missing name belongs.
      haCfErrors.push({
        file: path("ha.cf"),
        line: detail.lastNodeLine,
        message: `local node "${opts.localNode}" is not listed in any node directive`,
      });
    }
  }

  const errors = [...sortConfigErrors(haCfErrors), ...sortConfigErrors(authErrors), ...sortConfigErrors(resErrors)];
  if (errors.length > 0 || !detail?.result.ok || !auth?.ok || !res) {
    return { ok: false, errors, groups: res?.groups ?? [] };
  }
  const checked = ClusterConfig.safeParse({ dir, haCf: detail.result.value, authKeys: auth.value, groups: res.groups });
  if (!checked.success) {
    return { ok: false, errors: checked.error.issues.map((i) => ({ file: dir, line: 0, message: `${i.path.join(".")}: ${i.message}` })), groups: res.groups };
  }
  const warnings = configWarnings(checked.data.haCf, path("ha.cf"), detail.directiveLines ?? new Map(), detail.lastNodeLine);
  // On this host only (the files may be checked elsewhere): a fence agent that is not installed.
  const fa = checked.data.haCf.fenceAgent;
  if (fa && !resolveFenceAgent(fa.agent))
    warnings.push({
      file: path("ha.cf"),
      line: detail.directiveLines?.get("fence_agent") ?? detail.directiveLines?.get("fence") ?? 0,
      message: `fence agent ${fa.agent} is not installed on this host (not in PATH, /usr/sbin or /sbin; Debian: apt-get install fence-agents): fencing fails until it is`,
    });
  return { ok: true, value: checked.data, warnings };
}

/** Read a file and its mode from one handle, so the mode checked is the mode of what was read. */
async function readConfigFile(file: string): Promise<FileRead> {
  let handle;
  try {
    handle = await open(file, "r");
    const st = await handle.stat();
    if (st.isDirectory()) return { ok: false, error: { file, line: 0, message: "is a directory, not a file" } };
    return { ok: true, text: await handle.readFile("utf8"), mode: st.mode };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT" ? "missing" : code === "EACCES" ? "cannot be read (permission denied)" : `cannot be read (${code ?? String(e)})`;
    return { ok: false, error: { file, line: 0, message } };
  } finally {
    await handle?.close();
  }
}
