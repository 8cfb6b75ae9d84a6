import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { formatConfigError, type Parsed } from "./config-error.js";
import { loadConfig } from "./load-config.js";
import type { ClusterConfig } from "./schemas.js";

const EXAMPLES = fileURLToPath(new URL("../../../examples/", import.meta.url));
const HA_CF = "bcast eth0\nnode n1 n2\n";
const HARESOURCES = "n1 198.51.100.10 httpd\n";
const AUTHKEYS = "auth 1\n1 sha256 secret\n";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `vigil-config-${process.pid}-`));
  dirs.push(d);
  return d;
}

/** A config directory holding the given files (undefined = absent); authkeys gets `authMode`. */
async function configDir(files: { haCf?: string; haresources?: string; authkeys?: string }, authMode = 0o600) {
  const d = await tempDir();
  if (files.haCf !== undefined) await writeFile(join(d, "ha.cf"), files.haCf, { mode: 0o644 });
  if (files.haresources !== undefined) await writeFile(join(d, "haresources"), files.haresources, { mode: 0o644 });
  if (files.authkeys !== undefined) {
    await writeFile(join(d, "authkeys"), files.authkeys, { mode: 0o600 });
    await chmod(join(d, "authkeys"), authMode); // writeFile's mode is filtered by the umask
  }
  return d;
}

const complete = { haCf: HA_CF, haresources: HARESOURCES, authkeys: AUTHKEYS };

function errors(r: Parsed<ClusterConfig>): string[] {
  if (r.ok) throw new Error("expected errors, the config was accepted");
  return r.errors.map(formatConfigError);
}

describe("loadConfig", () => {
  it("loads the three files of a directory into one config", async () => {
    const d = await configDir(complete);
    const r = await loadConfig(d, { localNode: "n2" });
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.value.dir).toBe(d);
    expect(r.value.haCf.nodes).toEqual(["n1", "n2"]);
    expect(r.value.authKeys).toMatchObject({ active: 1, method: "sha256", key: "secret" });
    expect(r.value.groups.map((g) => [g.id, g.preferredNode])).toEqual([["198.51.100.10", "n1"]]);
  });

  it("names each missing file by the path as given", async () => {
    const d = await configDir({ haCf: HA_CF });
    expect(errors(await loadConfig(`${d}/`, {}))).toEqual([`${d}/authkeys: missing`, `${d}/haresources: missing`]);
    const empty = await tempDir();
    expect(errors(await loadConfig(empty, {}))).toEqual(
      ["ha.cf", "authkeys", "haresources"].map((f) => `${empty}/${f}: missing`),
    );
  });

  it("refuses an authkeys file that group or others can read", async () => {
    const d = await configDir(complete, 0o644);
    expect(errors(await loadConfig(d, {}))).toEqual([`${d}/authkeys: mode 0644 is too open; heartbeat requires 0600`]);
  });

  it("passes allow_crc from ha.cf to the authkeys check", async () => {
    const crc = { ...complete, authkeys: "auth 1\n1 crc\n" };
    const refused = await configDir(crc);
    expect(errors(await loadConfig(refused, {}))).toEqual([
      `${refused}/authkeys:2: method crc signs nothing, so anyone can forge heartbeats; use sha256, or put "allow_crc yes" in ha.cf`,
    ]);
    const allowed = await configDir({ ...crc, haCf: `${HA_CF}allow_crc yes\n` });
    const r = await loadConfig(allowed, {});
    expect(r.ok && r.value.authKeys.method).toBe("crc");
  });

  it("needs every preferred node in haresources to be a node of ha.cf", async () => {
    const d = await configDir({ ...complete, haresources: `${HARESOURCES}# db\nN2 group=db drbddisk::r0\nn7 nginx\n` });
    expect(errors(await loadConfig(d, {}))).toEqual([
      `${d}/haresources:4: node "n7" is not listed in any node directive of ha.cf`,
    ]);
  });

  it("needs the local node to be listed, reported where the node list ends", async () => {
    const d = await configDir({ ...complete, haCf: "node n1\nbcast eth0\nnode n2\n" });
    expect(errors(await loadConfig(d, { localNode: "n3" }))).toEqual([
      `${d}/ha.cf:3: local node "n3" is not listed in any node directive`,
    ]);
  });

  it("reports the errors of all three files together", async () => {
    const d = await configDir({ haCf: `${HA_CF}bogus\n`, haresources: "n1\n", authkeys: "auth 1\n" }, 0o640);
    expect(errors(await loadConfig(d, {}))).toEqual([
      `${d}/ha.cf:3: unknown directive "bogus"`,
      `${d}/authkeys:1: auth 1: no key 1 is defined`,
      `${d}/authkeys: mode 0640 is too open; heartbeat requires 0600`,
      `${d}/haresources:1: node "n1" has no resources`,
    ]);
  });

  it("says so when a config file is a directory", async () => {
    const d = await configDir({ haCf: HA_CF, authkeys: AUTHKEYS });
    await mkdir(join(d, "haresources"));
    expect(errors(await loadConfig(d, {}))).toEqual([`${d}/haresources: is a directory, not a file`]);
  });

  it.each(["lab3", "loopback/n1", "loopback/n2", "loopback/n3"])("loads the example %s", async (example) => {
    // git does not keep mode 0600, so check a copy with the mode an operator would set.
    const d = await tempDir();
    await cp(join(EXAMPLES, example), d, { recursive: true });
    await chmod(join(d, "authkeys"), 0o600);
    const r = await loadConfig(d, { localNode: "n1" });
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join("\n"));
    expect(r.value.haCf.nodes).toEqual(["n1", "n2", "n3"]);
    expect(r.value.groups).toHaveLength(1);
  });
});
