// Reads every golden case file; a file that is not valid YAML or not a valid case fails loudly with its
// name. The policy cases here and the node cases (test/node) share it, each with its own schema.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { PolicyCase } from "./policy-case.js";

/** A parser of one kind of case file: `what` names the kind in its errors ("policy case"). */
export function yamlCaseParser<S extends z.ZodType>(schema: S, what: string): (file: string, text: string) => z.infer<S> {
  return (file, text) => {
    let raw: unknown;
    try {
      raw = parse(text);
    } catch (e) {
      throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: not a valid ${what}:\n${z.prettifyError(parsed.error)}`);
    return parsed.data;
  };
}

/** Every `.yaml`/`.yml` file of `dir`, in name order, parsed. */
export function loadYamlCases<T>(dir: string, parseOne: (file: string, text: string) => T): Array<{ file: string; case: T }> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  return files.map((file) => ({ file, case: parseOne(file, readFileSync(join(dir, file), "utf8")) }));
}

export interface LoadedCase {
  file: string;
  case: PolicyCase;
}

export const parseCase: (file: string, text: string) => PolicyCase = yamlCaseParser(PolicyCase, "policy case");

export const loadCases = (dir: string): LoadedCase[] => loadYamlCases(dir, parseCase);
