// Reads every golden case file; a file that is not valid YAML or not a valid case fails loudly with its name.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { PolicyCase } from "./policy-case.js";

export interface LoadedCase {
  file: string;
  case: PolicyCase;
}

export function loadCases(dir: string): LoadedCase[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  return files.map((file) => ({ file, case: parseCase(file, readFileSync(join(dir, file), "utf8")) }));
}

export function parseCase(file: string, text: string): PolicyCase {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const parsed = PolicyCase.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: not a valid policy case:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
