// Where `vigil status` looks for the local agent when the log cannot be read.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateDirs } from "./local-view.js";

const dir = mkdtempSync(join(tmpdir(), "vigil-localview-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the local agent's state dir", () => {
  it("--state-dir wins; --config gives the default dirs of this host and of ha.cf's nodes; --node picks one", () => {
    writeFileSync(join(dir, "ha.cf"), "keepalive 2\nnode alpha beta # two nodes\n");
    expect(stateDirs({ stateDir: "/srv/vigil", config: dir })).toEqual(["/srv/vigil"]);
    expect(stateDirs({ config: dir })).toEqual([...new Set([hostname(), "alpha", "beta"])].map((n) => `/var/lib/vigil/${n}`));
    expect(stateDirs({ config: dir, node: "beta" })).toEqual(["/var/lib/vigil/beta"]);
  });
});
