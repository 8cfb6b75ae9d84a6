// Invariant 3: bad input never takes the cluster down. Whatever the text, a parser returns a value:
// a config, or errors that each carry the file and a line inside the text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAuthKeys } from "./authkeys-parser.js";
import type { Parsed } from "./config-error.js";
import { parseHaCf } from "./hacf-parser.js";
import { parseHaresources } from "./haresources-parser.js";

// Lines built from the files' own vocabulary find more paths than uniform noise.
const word = fc.oneof(
  fc.constantFrom("node", "mcast", "bcast", "ucast", "keepalive", "deadtime", "auth", "1", "sha256", "crc", "n1", "eth0"),
  fc.constantFrom("239.0.0.1", "694", "500ms", "0", "::", "\\", "#", "group=x", "198.51.100.7/24", "ocf:a:b::k=v"),
  fc.string({ maxLength: 12 }),
);
const text = fc.array(fc.array(word, { maxLength: 7 }).map((ws) => ws.join(" ")), { maxLength: 12 }).map((ls) => ls.join("\n"));

function wellFormed(r: Parsed<unknown>, file: string, source: string) {
  if (r.ok) return;
  expect(r.errors.length).toBeGreaterThan(0);
  const lineCount = source.split(/\r?\n/).length;
  for (const e of r.errors) {
    expect(e.file).toBe(file);
    expect(e.line).toBeGreaterThanOrEqual(0);
    expect(e.line).toBeLessThanOrEqual(lineCount);
    expect(e.message.length).toBeGreaterThan(0);
  }
}

describe("config parsers on arbitrary text", () => {
  it("ha.cf, authkeys and haresources never throw and place every error inside the file", () => {
    fc.assert(
      fc.property(text, (t) => {
        wellFormed(parseHaCf(t, "f"), "f", t);
        wellFormed(parseAuthKeys(t, "f", { mode: 0o600 }), "f", t);
        wellFormed(parseHaresources(t, "f"), "f", t);
      }),
      { numRuns: 300, seed: 4242 },
    );
  });
});
