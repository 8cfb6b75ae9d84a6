/** A configuration problem with its place, printed as `file:line: message` (line 0: the whole file). */
export interface ConfigError {
  file: string;
  line: number;
  message: string;
}

export function formatConfigError(e: ConfigError): string {
  return e.line > 0 ? `${e.file}:${e.line}: ${e.message}` : `${e.file}: ${e.message}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: ConfigError[] };

/** Errors in file order (stable), whole-file errors (line 0) after the lines. */
export function sortConfigErrors(errors: ConfigError[]): ConfigError[] {
  const rank = (e: ConfigError) => (e.line === 0 ? Number.MAX_SAFE_INTEGER : e.line);
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map((x) => x.e);
}
