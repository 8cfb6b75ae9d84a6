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
