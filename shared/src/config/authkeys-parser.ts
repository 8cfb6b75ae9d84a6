// authkeys → AuthKeys. heartbeat's format: `auth N` names the key in use, and each `N method key`
// line defines one key. Vigil reads sha1 and md5 as HMAC with those hashes and adds sha256 (its
// default); crc signs nothing, so it is refused unless ha.cf says `allow_crc yes`.
import { sortConfigErrors, type ConfigError, type Parsed } from "./config-error.js";
import { AuthKeys, AuthMethod } from "./schemas.js";

export interface AuthKeysOptions {
  /** The file's st_mode; when given it must grant nothing to group or others (heartbeat wants 0600). */
  mode?: number;
  /** ha.cf's `allow_crc yes`. */
  allowCrc?: boolean;
}

const KEY_LINE = /^(\S+)\s+(\S+)(?:\s+(.*))?$/;

export function parseAuthKeys(text: string, file = "authkeys", opts: AuthKeysOptions = {}): Parsed<AuthKeys> {
  const errors: ConfigError[] = [];
  const keys: AuthKeys["keys"] = {};
  const keyLines = new Map<number, number>();
  let auth: { index: number; line: number } | undefined;
  // Lines that tried to set these, even wrongly: their error is enough, no follow-on "missing".
  let authTried = false;
  const indexTried = new Set<number>();

  if (opts.mode !== undefined && (opts.mode & 0o077) !== 0) {
    const mode = (opts.mode & 0o7777).toString(8).padStart(4, "0");
    errors.push({ file, line: 0, message: `mode ${mode} is too open; heartbeat requires 0600` });
  }

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const fail = (message: string) => errors.push({ file, line, message });
    const trimmed = raw.trim();
    // Only whole-line comments: a key may contain "#".
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = KEY_LINE.exec(trimmed);
    if (!m) return fail(`expected "auth N" or "N method key", got "${trimmed}"`);
    const [, first = "", second = "", rest] = m;

    if (first === "auth") {
      authTried = true;
      if (rest !== undefined) return fail(`auth takes 1 value (the key index), got ${1 + rest.split(/\s+/).length}`);
      if (auth) return fail(`auth is already set on line ${auth.line}`);
      const index = parseIndex(second);
      if (index === undefined) return fail(`auth: "${second}" is not a key index (1-15)`);
      auth = { index, line };
      return;
    }
    const index = parseIndex(first);
    if (index === undefined) return fail(`"${first}" is not a key index (1-15) or "auth"`);
    indexTried.add(index);
    const method = AuthMethod.safeParse(second.toLowerCase());
    if (!method.success) return fail(`unknown method "${second}" (use sha256; sha1 and md5 also work)`);
    const earlier = keyLines.get(index);
    if (earlier !== undefined) return fail(`key ${index} is already defined on line ${earlier}`);
    keyLines.set(index, line);
    const key = rest ?? "";
    if (method.data === "crc") {
      if (!opts.allowCrc) {
        return fail('method crc signs nothing, so anyone can forge heartbeats; use sha256, or put "allow_crc yes" in ha.cf');
      }
    } else if (key === "") {
      return fail(`method ${method.data} needs a key`);
    }
    keys[String(index)] = { method: method.data, key };
  });

  if (!auth) {
    if (!authTried) errors.push({ file, line: 0, message: 'no "auth N" line: say which key is in use' });
  } else if (!indexTried.has(auth.index)) {
    errors.push({ file, line: auth.line, message: `auth ${auth.index}: no key ${auth.index} is defined` });
  }
  if (errors.length > 0 || !auth) return { ok: false, errors: sortConfigErrors(errors) };
  const active = keys[String(auth.index)];
  if (!active) return { ok: false, errors: [{ file, line: auth.line, message: `auth ${auth.index}: key is unusable` }] };
  const checked = AuthKeys.safeParse({ active: auth.index, method: active.method, key: active.key, keys });
  if (!checked.success) return { ok: false, errors: [{ file, line: 0, message: checked.error.issues[0]?.message ?? "invalid" }] };
  return { ok: true, value: checked.data };
}

function parseIndex(text: string): number | undefined {
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 15 ? n : undefined;
}
