import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OCF, type Resource } from "./agent-interface.js";
import { DummyResource } from "./dummy/dummy-agent.js";
import { IpaddrResource } from "./ipaddr/ipaddr-agent.js";
import { ScriptResource } from "./lsb/lsb-agent.js";
import { renderMetadataXml } from "./metadata.js";
import { OcfResource } from "./ocf/ocf-agent.js";
import { agentInfo, createResource, isResource, listAgents, listOcfAgents, registerAgent } from "./registry.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `vigil-registry-${process.pid}-`));
  await mkdir(join(dir, "init.d"));
  await writeFile(join(dir, "init.d", "myapp"), "#!/bin/sh\nexit 0\n");
  await chmod(join(dir, "init.d", "myapp"), 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = (id: string) => {
  const [agent = "", ...args] = id.split("::");
  return { id, agent, args };
};
const searchPath = () => ({ resourceDirs: [join(dir, "resource.d")], initDirs: [join(dir, "init.d")] });

describe("registry", () => {
  it("maps IPaddr, Dummy, ocf:* and init scripts to their agents", () => {
    expect(createResource(spec("IPaddr::198.51.100.10/24/eth0"))).toBeInstanceOf(IpaddrResource);
    expect(createResource(spec("Dummy::web"), { stateDir: dir })).toBeInstanceOf(DummyResource);
    expect(createResource(spec("ocf:heartbeat:Dummy::state=/tmp/x"))).toBeInstanceOf(OcfResource);
    expect(createResource(spec("myapp"), { searchPath: searchPath() })).toBeInstanceOf(ScriptResource);
  });

  it("refuses an unknown name, saying where it looked", () => {
    const r = createResource(spec("nosuchthing"), { searchPath: searchPath() });
    expect(isResource(r)).toBe(false);
    expect(r).toMatchObject({ error: expect.stringContaining(join(dir, "init.d")) });
  });

  it("binds bad arguments without running anything, and validate names them", () => {
    const r = createResource(spec("IPaddr::999.1.1.1"));
    expect(isResource(r) && r.validate()).toMatchObject({ rc: OCF.ERR_ARGS, message: expect.stringContaining("IPaddr: ip") });
  });

  it("takes new built-in agents through registerAgent", () => {
    const fake: Resource = {
      id: "Fake::a",
      meta: { name: "Fake", description: "test", parameters: [], timeouts: { start: 1, stop: 1, monitor: 1 }, monitorIntervalMs: 1 },
      start: async () => ({ rc: 0, message: "" }),
      stop: async () => ({ rc: 0, message: "" }),
      monitor: async () => ({ rc: 7, message: "" }),
      validate: () => ({ rc: 0, message: "" }),
    };
    registerAgent("Fake", { meta: fake.meta, create: () => fake });
    expect(createResource(spec("Fake::a"))).toBe(fake);
    expect(listAgents().map((m) => m.name)).toEqual(expect.arrayContaining(["Dummy", "Fake", "IPaddr"]));
  });

  it("lists installed OCF agents and reads their meta-data for agents info", () => {
    expect(listOcfAgents("/usr/lib/ocf")).toContain("ocf:heartbeat:IPaddr2");
    const info = agentInfo("ocf:heartbeat:IPaddr2", { ocfRoot: "/usr/lib/ocf" });
    expect(info).toMatchObject({ parameters: expect.arrayContaining([expect.objectContaining({ name: "ip", required: true })]) });
    expect(agentInfo("ocf:../../x")).toHaveProperty("error");
  });

  it("renders a built-in agent's metadata as OCF meta-data XML", () => {
    const info = agentInfo("IPaddr");
    if ("error" in info) throw new Error(info.error);
    const xml = renderMetadataXml(info);
    expect(xml).toContain('<resource-agent name="IPaddr"');
    expect(xml).toContain('<parameter name="ip" required="1"');
    expect(xml).toContain('<action name="monitor" timeout="20s" interval="5s"/>');
  });
});
