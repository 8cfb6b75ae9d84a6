// The `vigil` command's own usage, driven as an operator would (the built bin, no cluster needed):
// per-command help, per-command flag checks (exit 2 before anything is read or written), durations,
// and errors as JSON under --json.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCliDuration, parseTimeout } from "./cli-duration.js";
import { parseSince, resolveType } from "./commands/log.js";

const VIGIL = join(import.meta.dirname, "../bin/vigil.js");
// A port nothing listens on: a command that got past its checks would fail with exit 1, not 2.
const NOWHERE = ["--nats", "nats://127.0.0.1:1", "--cluster", "usage"];
const vigil = (...args: string[]) => spawnSync(process.execPath, [VIGIL, ...args], { encoding: "utf8", timeout: 20_000, env: { ...process.env, VIGIL_NATS: "", VIGIL_CLUSTER: "" } });

describe("vigil --help", () => {
  it("prints each command's own usage, with its own flags", () => {
    const status = vigil("status", "--help");
    const move = vigil("resource", "move", "--help");
    const log = vigil("log", "--help");
    for (const r of [status, move, log]) expect(r.status).toBe(0);
    expect(status.stdout).toMatch(/^Usage: vigil status \[options\]/);
    expect(move.stdout).toMatch(/^Usage: vigil resource move \[options\] <group> <node>/);
    expect(move.stdout).toMatch(/--wait/);
    expect(move.stdout).toMatch(/--timeout <duration>/);
    expect(status.stdout).not.toMatch(/--wait/);
    expect(log.stdout).toMatch(/--about <name>/);
    // The flags that find the log are listed everywhere.
    for (const r of [status, move, log]) expect(r.stdout).toMatch(/--nats <urls>[\s\S]*--cluster <name>[\s\S]*--config <dir>/);
    expect(new Set([status.stdout, move.stdout, log.stdout]).size).toBe(3);
    expect(vigil("node", "help", "standby").stdout).toMatch(/^Usage: vigil node standby \[options\] <node>/);
  });

  it("prints the command list with no arguments, and the version", () => {
    const r = vigil();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Commands:[\s\S]*status[\s\S]*resource/);
    expect(vigil("--version").stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("vigil refuses bad usage with exit 2, before touching the log", () => {
  it("an extra argument: `resource move web n1 n2` is not a move of web to n1", () => {
    const r = vigil("resource", "move", "web", "n1", "n2", ...NOWHERE);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/too many arguments for 'move'.*see vigil resource move --help/);
  });

  it("--timeout without --wait: it would be ignored, so it is refused", () => {
    for (const args of [
      ["node", "standby", "n1", "--timeout", "10s"],
      ["resource", "move", "web", "n1", "--timeout", "5"],
      ["resource", "clear", "web", "--timeout", "1m"],
      ["hb", "takeover", "all", "--node", "n1", "--timeout", "10s"],
    ]) {
      const r = vigil(...args, ...NOWHERE);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^vigil: --timeout needs --wait \(it is how long --wait waits/);
    }
    // With --wait it is taken (and the command goes on to the log, which is not there: exit 1).
    expect(vigil("node", "standby", "n1", "--wait", "--timeout", "10s", ...NOWHERE).status).toBe(1);
  });

  it("a missing argument, an unknown command, an unknown or misplaced flag", () => {
    expect(vigil("resource", "move", "web", ...NOWHERE).stderr).toMatch(/missing required argument 'node'/);
    const typo = vigil("statuss");
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'statuss'.*Did you mean status\?/);
    for (const args of [
      ["status", "--wait"],
      ["log", "--wait"],
      ["node", "standby", "n1", "--follow"],
      ["agents", "list", "--bogus"],
      ["config", "check", "/tmp", "--wait"],
    ]) {
      const r = vigil(...args, ...NOWHERE);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(/unknown option/);
    }
    expect(vigil("status", "extra", ...NOWHERE).stderr).toMatch(/too many arguments for 'status'/);
  });

  it("a bad --timeout, --since or --type, naming what would do", () => {
    const t = vigil("node", "standby", "n1", "--wait", "--timeout", "5x", ...NOWHERE);
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/--timeout: "5x" is not a duration/);
    const since = vigil("log", "--since", "12345", ...NOWHERE);
    expect(since.status).toBe(2);
    expect(since.stderr).toMatch(/--since: "12345" is a bare number: write 12345s or 12345m.*--from 12345/);
    const type = vigil("log", "--type", "NodeUpp", ...NOWHERE);
    expect(type.status).toBe(2);
    expect(type.stderr).toMatch(/no event type "NodeUpp" \(known: AgentStarted, .*NodeUp/);
  });

  it("--config naming a directory without ha.cf", () => {
    const r = vigil("status", "--config", "/nonexistent-vigil");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--config \/nonexistent-vigil: no such directory/);
    expect(vigil("log", "--config", "/tmp").stderr).toMatch(/--config \/tmp: no ha.cf in that directory/);
  });

  it("under --json, says it as {ok:false, error} on stderr, leaving stdout to data", () => {
    const r = vigil("resource", "move", "web", "n1", "n2", "--json", ...NOWHERE);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.stderr)).toEqual({ ok: false, error: expect.stringMatching(/too many arguments/) });
    const gone = vigil("status", "--json", ...NOWHERE);
    expect(gone.status).toBe(1);
    expect(gone.stdout).toBe("");
    expect(JSON.parse(gone.stderr)).toEqual({ ok: false, error: expect.stringMatching(/nats:\/\/127\.0\.0\.1:1/) });
  });
});

describe("durations", () => {
  it("--timeout: a bare number is seconds; ms, s, m, h", () => {
    expect(parseTimeout(undefined)).toBe(30_000);
    expect(parseTimeout("30")).toBe(30_000);
    expect(parseTimeout("30s")).toBe(30_000);
    expect(parseTimeout("1.5")).toBe(1_500);
    expect(parseTimeout("500ms")).toBe(500);
    expect(parseTimeout("2m")).toBe(120_000);
    for (const bad of ["", "0", "-1", "5x", "s", "1e3"]) expect(() => parseTimeout(bad), bad).toThrow(/--timeout/);
    expect(parseCliDuration("10", { bareSeconds: false })).toBeNull();
  });

  it("--since: a duration ago or an ISO time; a bare number or a loose date string is refused", () => {
    const now = Date.parse("2026-03-01T12:00:00Z");
    expect(parseSince("10m", now).toISOString()).toBe("2026-03-01T11:50:00.000Z");
    expect(parseSince("2026-02-01T10:00:00Z", now).toISOString()).toBe("2026-02-01T10:00:00.000Z");
    expect(parseSince("2026-02-01", now).getTime()).toBe(Date.parse("2026-02-01"));
    for (const bad of ["5", "12345", "May 5", "yesterday", "2026-13-45"]) expect(() => parseSince(bad, now), bad).toThrow(/--since/);
  });

  it("--type matches any case", () => {
    expect(resolveType("nodeup")).toBe("NodeUp");
    expect(resolveType("PLACEMENTDECIDED")).toBe("PlacementDecided");
  });
});
