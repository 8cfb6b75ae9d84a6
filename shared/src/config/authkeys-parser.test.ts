import { describe, expect, it } from "vitest";
import { parseAuthKeys } from "./authkeys-parser.js";
import { formatConfigError, type Parsed } from "./config-error.js";

function errors(r: Parsed<unknown>): string[] {
  if (r.ok) throw new Error("expected errors, the file was accepted");
  return r.errors.map(formatConfigError);
}

describe("authkeys", () => {
  it("reads the active key and every key line", () => {
    const r = parseAuthKeys("# keys\nauth 2\n1 sha1 old secret\n\n2 sha256 n3w-s3cret#1\n3 md5 legacy\n");
    expect(r).toEqual({
      ok: true,
      value: {
        active: 2,
        method: "sha256",
        key: "n3w-s3cret#1",
        keys: {
          "1": { method: "sha1", key: "old secret" },
          "2": { method: "sha256", key: "n3w-s3cret#1" },
          "3": { method: "md5", key: "legacy" },
        },
      },
    });
  });

  it("reads method names in any case", () => {
    const r = parseAuthKeys("auth 1\n1 SHA1 k\n");
    expect(r.ok && r.value.method).toBe("sha1");
  });

  it.each([0o600, 0o400, 0o100600])("accepts mode %o", (mode) => {
    expect(parseAuthKeys("auth 1\n1 sha256 k\n", "authkeys", { mode }).ok).toBe(true);
  });

  it.each([
    [0o644, "0644"],
    [0o640, "0640"],
    [0o604, "0604"],
    [0o100666, "0666"],
  ])("refuses mode %o as too open", (mode, shown) => {
    expect(errors(parseAuthKeys("auth 1\n1 sha256 k\n", "authkeys", { mode }))).toEqual([
      `authkeys: mode ${shown} is too open; heartbeat requires 0600`,
    ]);
  });

  it("refuses crc unless ha.cf allows it", () => {
    expect(errors(parseAuthKeys("auth 1\n1 crc\n"))).toEqual([
      'authkeys:2: method crc signs nothing, so anyone can forge heartbeats; use sha256, or put "allow_crc yes" in ha.cf',
    ]);
    const r = parseAuthKeys("auth 1\n1 crc\n", "authkeys", { allowCrc: true });
    expect(r.ok && r.value).toMatchObject({ active: 1, method: "crc", key: "" });
  });

  it("refuses crc on an inactive key line too (it would still be accepted from peers)", () => {
    expect(errors(parseAuthKeys("auth 1\n1 sha256 k\n2 crc\n"))[0]).toMatch(/^authkeys:3: method crc/);
  });

  it("needs the active index to exist", () => {
    expect(errors(parseAuthKeys("auth 3\n1 sha256 k\n"))).toEqual(["authkeys:1: auth 3: no key 3 is defined"]);
  });

  it("needs an auth line", () => {
    expect(errors(parseAuthKeys("1 sha256 k\n"))).toEqual(['authkeys: no "auth N" line: say which key is in use']);
  });

  it("collects every error with its line", () => {
    const text = ["auth 1", "1 sha512 k", "2 sha1", "x sha1 k", "auth 2", "3 md5 a", "3 md5 b", "auth", "16 sha1 k"].join("\n");
    expect(errors(parseAuthKeys(text, "/etc/ha.d/authkeys", { mode: 0o644 }))).toEqual([
      '/etc/ha.d/authkeys:2: unknown method "sha512" (use sha256; sha1 and md5 also work)',
      "/etc/ha.d/authkeys:3: method sha1 needs a key",
      '/etc/ha.d/authkeys:4: "x" is not a key index (1-15) or "auth"',
      "/etc/ha.d/authkeys:5: auth is already set on line 1",
      "/etc/ha.d/authkeys:7: key 3 is already defined on line 6",
      '/etc/ha.d/authkeys:8: expected "auth N" or "N method key", got "auth"',
      '/etc/ha.d/authkeys:9: "16" is not a key index (1-15) or "auth"',
      "/etc/ha.d/authkeys: mode 0644 is too open; heartbeat requires 0600",
    ]);
  });

  it("refuses an auth line with extra values", () => {
    expect(errors(parseAuthKeys("auth 1 2\n1 sha256 k\n"))).toEqual([
      "authkeys:1: auth takes 1 value (the key index), got 2",
    ]);
  });
});
