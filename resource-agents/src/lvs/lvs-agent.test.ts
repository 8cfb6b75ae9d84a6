import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import type { CommandResult, RunOptions } from "../exec/run-command.js";
import { createLvs, type LvsOptions } from "./lvs-agent.js";
import type { ProbeResult } from "./probes.js";

const SERVICE = `virtual_server 198.51.100.10 80 {
  delay_loop 0.05
  lb_algo wrr
  lb_kind NAT
  real_server 203.0.113.11 8080 {
    weight 3
    TCP_CHECK { connect_timeout 1 retry 1 delay_before_retry 0.02 }
  }
  real_server 203.0.113.12 8080 {
    weight 1
  }
}
`;

const T = { timeoutMs: 5_000 };
const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "", timedOut: false, signal: null });
const fail = (code: number, stderr: string): CommandResult => ({ code, stdout: "", stderr, timedOut: false, signal: null });

/** A stand-in for ipvsadm that keeps whether the service exists and records every command. */
function fakeIpvsadm() {
  const calls: string[][] = [];
  let exists = false;
  const run = async (argv: readonly string[], _o: RunOptions): Promise<CommandResult> => {
    calls.push([...argv]);
    const op = argv[1];
    if (op === "-L") return exists ? ok("TCP  198.51.100.10:80 wrr\n") : fail(1, "No such service\n");
    if (op === "-A") exists = true;
    if (op === "-D") exists = false;
    return ok();
  };
  return { calls, run };
}

/** A prober whose answer for 203.0.113.11 the test sets. */
function switchableProber() {
  const state = { up: true };
  const prober = async (): Promise<ProbeResult> =>
    state.up ? { ok: true, detail: "TCP connect succeeded" } : { ok: false, detail: "TCP connect: ECONNREFUSED" };
  return { state, prober };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), `lvs-agent-${process.pid}-`));
  writeFileSync(join(dir, "web.conf"), SERVICE);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = (...args: string[]) => ({ id: ["lvs", ...args].join("::"), agent: "lvs", args });

describe("lvs agent: validate", () => {
  it("names the missing service file with rc 5", () => {
    const r = createLvs(spec("nope"), { configDir: dir }).validate();
    expect(r.rc).toBe(OCF.ERR_INSTALLED);
    expect(r.message).toContain(join(dir, "nope.conf"));
  });

  it("reports a parse error as file:line with rc 6", () => {
    writeFileSync(join(dir, "bad.conf"), "virtual_server 198.51.100.10 80 {\n lb_algo best\n}\n");
    const r = createLvs(spec("bad"), { configDir: dir }).validate();
    expect(r).toEqual({ rc: OCF.ERR_CONFIGURED, message: `${join(dir, "bad.conf")}:2: lb_algo "best" is not one of rr, wrr, lc, wlc, sh, dh` });
  });

  it("names a bad backend argument with rc 2", () => {
    const r = createLvs(spec("web", "lvs-tun"), { configDir: dir }).validate();
    expect(r.rc).toBe(OCF.ERR_ARGS);
    expect(r.message).toMatch(/backend \("lvs-tun"\)/);
  });

  it("refuses direct routing on the nftables backend but accepts it on IPVS", () => {
    writeFileSync(join(dir, "dr.conf"), SERVICE.replace("lb_kind NAT", "lb_kind DR"));
    expect(createLvs(spec("dr", "nftables"), { configDir: dir }).validate().rc).toBe(OCF.ERR_CONFIGURED);
    expect(createLvs(spec("dr", "auto"), { configDir: dir, hasIpvs: () => true }).validate().rc).toBe(OCF.SUCCESS);
  });

  it("accepts a path as the service argument", () => {
    expect(createLvs(spec(join(dir, "web.conf")), { hasIpvs: () => false }).validate()).toEqual({
      rc: OCF.SUCCESS,
      message: "lvs: 198.51.100.10:80 wrr on nftables",
    });
  });
});

describe("lvs agent on IPVS (commands recorded)", () => {
  it("installs the service, takes a failed server out with -d, puts it back with -a, and removes it on stop", async () => {
    const ipvs = fakeIpvsadm();
    const probe = switchableProber();
    const changes: { server: string; alive: boolean }[] = [];
    let notify: () => void = () => {};
    const opts: LvsOptions = {
      configDir: dir,
      run: ipvs.run,
      prober: probe.prober,
      hasIpvs: () => true,
      onLiveChange: (c) => {
        changes.push({ server: c.server, alive: c.alive });
        notify();
      },
    };
    const nextChange = () => new Promise<void>((resolve) => (notify = resolve));
    const lvs = createLvs(spec("web"), opts);

    expect((await lvs.start(T)).rc).toBe(OCF.SUCCESS);
    expect(ipvs.calls).toEqual([
      ["ipvsadm", "-L", "-n", "-t", "198.51.100.10:80"],
      ["ipvsadm", "-A", "-t", "198.51.100.10:80", "-s", "wrr"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-m", "-w", "3"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.12:8080", "-m", "-w", "1"],
    ]);
    ipvs.calls.length = 0;

    const down = nextChange();
    probe.state.up = false;
    await down;
    expect(changes).toEqual([{ server: "203.0.113.11:8080", alive: false }]);
    expect(ipvs.calls).toEqual([["ipvsadm", "-d", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080"]]);
    const m = await lvs.monitor(T);
    expect(m.rc).toBe(OCF.SUCCESS);
    expect(m.message).toContain("1/2 live");
    expect(m.message).toContain("203.0.113.11:8080 down (TCP connect: ECONNREFUSED)");
    ipvs.calls.length = 0;

    const up = nextChange();
    probe.state.up = true;
    await up;
    expect(ipvs.calls).toEqual([["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-m", "-w", "3"]]);
    ipvs.calls.length = 0;

    expect((await lvs.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(ipvs.calls).toEqual([
      ["ipvsadm", "-L", "-n", "-t", "198.51.100.10:80"],
      ["ipvsadm", "-D", "-t", "198.51.100.10:80"],
    ]);
    expect((await lvs.stop(T)).rc).toBe(OCF.SUCCESS);
    expect((await lvs.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
  });

  it("start on a running service succeeds without reinstalling it", async () => {
    const ipvs = fakeIpvsadm();
    const lvs = createLvs(spec("web"), { configDir: dir, run: ipvs.run, prober: switchableProber().prober, hasIpvs: () => true });
    await lvs.start(T);
    const before = ipvs.calls.length;
    expect((await lvs.start(T)).rc).toBe(OCF.SUCCESS);
    expect(ipvs.calls.slice(before)).toEqual([["ipvsadm", "-L", "-n", "-t", "198.51.100.10:80"]]);
    await lvs.stop(T);
  });

  it("monitor reports a service left installed without checkers as a failure", async () => {
    const ipvs = fakeIpvsadm();
    await ipvs.run(["ipvsadm", "-A", "-t", "198.51.100.10:80", "-s", "wrr"], T);
    const lvs = createLvs(spec("web"), { configDir: dir, run: ipvs.run, hasIpvs: () => true });
    expect((await lvs.monitor(T)).rc).toBe(OCF.ERR_GENERIC);
    expect((await lvs.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(ipvs.calls.at(-1)).toEqual(["ipvsadm", "-D", "-t", "198.51.100.10:80"]);
  });

  it("says ipvsadm is not installed with rc 5", async () => {
    const run = async (): Promise<CommandResult> => fail(127, "spawn ipvsadm ENOENT");
    const lvs = createLvs(spec("web"), { configDir: dir, run, hasIpvs: () => true });
    const r = await lvs.start(T);
    expect(r.rc).toBe(OCF.ERR_INSTALLED);
    expect(r.message).toContain("ipvsadm");
  });
});

describe("lvs agent on nftables (commands recorded)", () => {
  it("pipes one replace transaction for the table to nft -f -", async () => {
    const calls: { argv: string[]; input: string | undefined }[] = [];
    const run = async (argv: readonly string[], o: RunOptions): Promise<CommandResult> => {
      calls.push({ argv: [...argv], input: o.input });
      return ok();
    };
    const lvs = createLvs(spec("web"), { configDir: dir, run, prober: switchableProber().prober, hasIpvs: () => false, tableName: "lvs_t1" });
    expect((await lvs.start(T)).rc).toBe(OCF.SUCCESS);
    expect(calls[0]?.argv).toEqual(["nft", "-f", "-"]);
    expect(calls[0]?.input).toMatch(/^table ip lvs_t1 \{\}\ndelete table ip lvs_t1\ntable ip lvs_t1 \{\n/);
    expect(calls[0]?.input).toContain("numgen inc mod 4 vmap { 0 : goto rs_0, 1 : goto rs_0, 2 : goto rs_0, 3 : goto rs_1 }");
    await lvs.stop(T);
    expect(calls.at(-1)).toEqual({ argv: ["nft", "-f", "-"], input: "table ip lvs_t1 {}\ndelete table ip lvs_t1\n" });
  });
});
