// The OCF adapter with Debian's real agents (Dummy; IPaddr2 inside namespaces this test creates), and
// with a small agent written by the test to check the environment and timeouts.
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { runCommand } from "../exec/run-command.js";
import { createVethPair, type VethPair } from "../ipaddr/veth-pair-fixture.js";
import { OcfResource } from "./ocf-agent.js";

const T = { timeoutMs: 20_000 };
const DEBIAN_OCF = "/usr/lib/ocf";
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `vigil-ocf-${process.pid}-`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const present = (p: string) => stat(p).then(() => true, () => false);

describe("ocf:heartbeat:Dummy (Debian's agent)", () => {
  it("start, monitor, stop through the real script; twice each is fine", async () => {
    const state = join(dir, "dummy.state");
    const r = new OcfResource("ocf:heartbeat:Dummy::state=x", "ocf:heartbeat:Dummy", [`state=${state}`], { ocfRoot: DEBIAN_OCF });
    expect(r.validate()).toMatchObject({ rc: OCF.SUCCESS });
    expect(r.meta.timeouts.start).toBe(20_000);
    expect(r.meta.monitorIntervalMs).toBe(10_000);
    expect(r.meta.parameters.map((p) => p.name)).toContain("state");
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(state)).toBe(true);
    expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(await present(state)).toBe(false);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await r.validateDeep(T)).rc).toBe(OCF.SUCCESS);
  });

  it("refuses a parameter the agent does not have, naming it, before anything runs", () => {
    const r = new OcfResource("d", "ocf:heartbeat:Dummy", ["stat=/tmp/x"], { ocfRoot: DEBIAN_OCF });
    expect(r.validate()).toMatchObject({ rc: OCF.ERR_ARGS, message: expect.stringContaining("ocf:heartbeat:Dummy: stat: unknown parameter") });
  });

  it("refuses IPaddr2 without its required ip, naming it", async () => {
    const r = new OcfResource("v", "ocf:heartbeat:IPaddr2", ["cidr_netmask=24"], { ocfRoot: DEBIAN_OCF });
    expect(r.validate()).toMatchObject({ rc: OCF.ERR_ARGS, message: "ocf:heartbeat:IPaddr2: ip: is required" });
    expect((await r.start(T)).rc).toBe(OCF.ERR_ARGS);
  });

  it("reports an agent that is not installed as ERR_INSTALLED", () => {
    const r = new OcfResource("n", "ocf:heartbeat:NoSuchAgent", [], { ocfRoot: DEBIAN_OCF });
    expect(r.validate().rc).toBe(OCF.ERR_INSTALLED);
  });
});

describe("OCF environment and timeouts", () => {
  let root: string;
  beforeAll(async () => {
    root = join(dir, "ocfroot");
    await mkdir(join(root, "resource.d", "test"), { recursive: true });
    const script = join(root, "resource.d", "test", "envdump");
    await writeFile(
      script,
      [
        "#!/bin/sh",
        'case "$1" in',
        "meta-data) cat <<'EOF'",
        '<?xml version="1.0"?><resource-agent name="envdump"><parameters>',
        '<parameter name="out" required="1"><content type="string"/></parameter>',
        '<parameter name="hang"><content type="string"/></parameter>',
        '</parameters><actions><action name="start" timeout="7s"/><action name="stop" timeout="8s"/>',
        '<action name="monitor" timeout="9s" interval="3s"/></actions></resource-agent>',
        "EOF",
        "exit 0;;",
        'start) env | grep ^OCF_ | sort > "$OCF_RESKEY_out"; [ -n "$OCF_RESKEY_hang" ] && sleep 30; exit 0;;',
        'monitor) [ -f "$OCF_RESKEY_out" ] && exit 0; exit 7;;',
        'stop) rm -f "$OCF_RESKEY_out"; exit 0;;',
        "*) exit 3;;",
        "esac",
        "",
      ].join("\n"),
    );
    await chmod(script, 0o755);
  });

  it("passes the OCF variables, parameters and the timeout in ms, and honours the meta-data timeouts", async () => {
    const out = join(dir, "env.txt");
    const r = new OcfResource("ocf:test:envdump::out=x", "ocf:test:envdump", [`out=${out}`], { ocfRoot: root });
    expect(r.meta.timeouts).toEqual({ start: 7_000, stop: 8_000, monitor: 9_000 });
    expect(r.meta.monitorIntervalMs).toBe(3_000);
    expect((await r.start({ timeoutMs: 4_321 })).rc).toBe(OCF.SUCCESS);
    const env = Object.fromEntries((await readFile(out, "utf8")).trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
    expect(env).toMatchObject({
      OCF_ROOT: root,
      OCF_FUNCTIONS_DIR: join(root, "lib", "heartbeat"),
      OCF_RESOURCE_INSTANCE: "ocf_test_envdump__out_x",
      OCF_RESOURCE_TYPE: "envdump",
      OCF_RESOURCE_PROVIDER: "test",
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESKEY_out: out,
      OCF_RESKEY_CRM_meta_timeout: "4321",
    });
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
  });

  it("a start that outlives its timeout is killed and reported as rc 1", async () => {
    const r = new OcfResource("h", "ocf:test:envdump", [`out=${join(dir, "hang.txt")}`, "hang=1"], { ocfRoot: root });
    const t0 = performance.now();
    const res = await r.start({ timeoutMs: 300 });
    expect(res).toMatchObject({ rc: OCF.ERR_GENERIC, message: expect.stringContaining("timed out") });
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe("ocf:heartbeat:IPaddr2 (Debian's agent) inside a namespace", () => {
  let lab: VethPair;
  beforeAll(async () => {
    lab = await createVethPair("o2");
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const held = async (ip: string) => {
    const r = await runCommand([...lab.wrapA, "ip", "-j", "-4", "addr", "show", "dev", lab.devA], T);
    return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).some((l) => l.addr_info.some((a) => a.local === ip));
  };

  it("adds and removes the address in the namespace, idempotently", async () => {
    const vip = "198.51.100.20";
    const r = new OcfResource("vip", "ocf:heartbeat:IPaddr2", [`ip=${vip}`, "cidr_netmask=24", `nic=${lab.devA}`], {
      ocfRoot: DEBIAN_OCF,
      wrap: lab.wrapA,
    });
    expect(r.validate().rc).toBe(OCF.SUCCESS);
    try {
      expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
      const started = await r.start(T);
      expect(started.rc, started.message).toBe(OCF.SUCCESS);
      expect(await held(vip)).toBe(true);
      expect((await r.monitor(T)).rc).toBe(OCF.SUCCESS);
      expect((await r.start(T)).rc).toBe(OCF.SUCCESS);
      const asked = await runCommand([...lab.wrapB, "arping", "-c", "1", "-w", "2", "-i", lab.devB, vip], T);
      expect(asked.code).toBe(0);
    } finally {
      expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    }
    expect(await held(vip)).toBe(false);
    expect((await r.stop(T)).rc).toBe(OCF.SUCCESS);
    expect((await r.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
  });
});
