// The nfs agents on real parts:
//  - exportfs with the real `exportfs` (Debian's nfs-kernel-server). This kernel has no nfsd, but
//    exportfs still keeps its export table (/var/lib/nfs/etab), which is what `exportfs -v` lists.
//  - nfsserver driving Debian's userspace NFS server, nfs-ganesha (VFS FSAL), through configured
//    commands, checked with a real NFSv4 client (libnfs' nfs-cat) on a loopback port.
//  - killnfsd's `killall -9 nfsd` inside a private PID namespace, so it can only see the fake nfsd
//    the test started there.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createExportfs } from "./exportfs-agent.js";
import { createKillNfsd, createNfsServer } from "./nfs-server-agent.js";

const isRoot = process.getuid?.() === 0;
const has = (t: string) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0;
const T = { timeoutMs: 20_000 };

describe.skipIf(!isRoot || !has("exportfs"))("exportfs agent with the real exportfs", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `vigil-exp-${process.pid}-`));
  });
  afterAll(() => {
    // Unexport anything this run left behind, then remove its directory.
    for (const c of ["127.0.0.1", "198.51.100.0/24"]) spawnSync("exportfs", ["-u", `${c}:${dir}`]);
    rmSync(dir, { recursive: true, force: true });
  });
  const listed = () => spawnSync("exportfs", ["-v"], { encoding: "utf8" }).stdout;

  it("exports on start, finds it on monitor, unexports on stop, each idempotent", async () => {
    const ex = createExportfs({ id: "exportfs", agent: "exportfs", args: ["198.51.100.0/24", `${dir}/`, "rw,sync,no_subtree_check,fsid=4711"] });
    expect((await ex.monitor(T)).rc).toBe(7);
    expect((await ex.start(T)).rc).toBe(0);
    expect(listed()).toContain(dir);
    expect(await ex.monitor(T)).toMatchObject({ rc: 0, message: expect.stringContaining("fsid=4711") });
    expect(await ex.start(T)).toMatchObject({ rc: 0, message: expect.stringContaining("already") });
    expect((await ex.stop(T)).rc).toBe(0);
    expect(listed()).not.toContain(dir);
    expect((await ex.stop(T)).rc).toBe(0);
    expect((await ex.monitor(T)).rc).toBe(7);
  });

  it("keeps two clients of one directory apart", async () => {
    const a = createExportfs({ id: "a", agent: "exportfs", args: ["127.0.0.1", dir, "ro,no_subtree_check"] });
    const b = createExportfs({ id: "b", agent: "exportfs", args: ["198.51.100.0/24", dir, "ro,no_subtree_check"] });
    expect((await a.start(T)).rc).toBe(0);
    expect((await b.monitor(T)).rc).toBe(7);
    expect((await a.stop(T)).rc).toBe(0);
  });

  it("reports a missing exportfs as not installed, and bad arguments by name", async () => {
    const ex = createExportfs({ id: "x", agent: "exportfs", args: ["127.0.0.1", dir] }, { env: { PATH: dir } });
    expect((await ex.monitor(T)).rc).toBe(5);
    const bad = createExportfs({ id: "x", agent: "exportfs", args: ["127.0.0.1", "relative"] });
    expect(bad.validate()).toMatchObject({ rc: 2, message: expect.stringContaining("directory") });
    expect(createExportfs({ id: "x", agent: "exportfs", args: ["a b", "/x"] }).validate().message).toContain("client");
    expect(createExportfs({ id: "x", agent: "exportfs", args: ["h", "/x", "rw, sync"] }).validate().message).toContain("options");
  });
});

describe.skipIf(!isRoot || !has("ganesha.nfsd") || !has("nfs-cat"))("nfsserver driving nfs-ganesha", () => {
  let dir = "";
  let port = 0;
  const pidFile = () => join(dir, "ganesha.pid");

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `vigil-ganesha-${process.pid}-`));
    port = 20_000 + ((process.pid * 7 + Math.floor(Math.random() * 10_000)) % 30_000);
    mkdirSync(join(dir, "export"));
    mkdirSync(join(dir, "recovery"));
    writeFileSync(join(dir, "export", "hello.txt"), "served by ganesha\n");
    writeFileSync(
      join(dir, "ganesha.conf"),
      [
        `NFS_CORE_PARAM { Protocols = 4; NFS_Port = ${port}; Bind_addr = 127.0.0.1; Enable_NLM = false; Enable_RQUOTA = false; }`,
        `NFSV4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = "${join(dir, "recovery")}"; }`,
        `EXPORT { Export_Id = 77; Path = "${join(dir, "export")}"; Pseudo = "/vigil"; Access_Type = RO; Squash = No_Root_Squash;`,
        `  Protocols = 4; Transports = TCP; SecType = sys; FSAL { Name = VFS; } }`,
        "",
      ].join("\n"),
    );
  });

  afterAll(() => {
    // Never leave ganesha running: kill the daemon this test started, by the pid it wrote.
    if (existsSync(pidFile())) {
      const pid = Number(readFileSync(pidFile(), "utf8").trim());
      if (pid > 1) spawnSync("kill", ["-9", String(pid)]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const read = () =>
    spawnSync("nfs-cat", [`nfs://127.0.0.1/vigil/hello.txt?version=4&nfsport=${port}`], { encoding: "utf8", timeout: 10_000 });

  it("starts the server so a real NFSv4 client reads the export, and stops it", async () => {
    const p = pidFile();
    const server = createNfsServer(
      { id: "nfsserver::ganesha", agent: "nfsserver", args: ["ganesha"] },
      {
        // ganesha daemonizes; the start command waits (bounded) until it has written its pid file.
        startCommand: ["sh", "-c", `ganesha.nfsd -f "$1/ganesha.conf" -L "$1/ganesha.log" -p "$2" && for i in $(seq 100); do [ -s "$2" ] && exit 0; sleep 0.1; done; exit 1`, "sh", dir, p],
        statusCommand: ["sh", "-c", `[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null || exit 3`, "sh", p],
        stopCommand: ["sh", "-c", `[ -s "$1" ] || exit 0; pid=$(cat "$1"); kill "$pid"; for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || { rm -f "$1"; exit 0; }; sleep 0.1; done; exit 1`, "sh", p],
      },
    );
    expect((await server.monitor(T)).rc).toBe(7);
    expect((await server.start(T)).rc).toBe(0);
    expect(await server.start(T)).toMatchObject({ rc: 0, message: expect.stringContaining("already") });
    expect((await server.monitor(T)).rc).toBe(0);
    // Bounded: the first RPC may land while ganesha finishes its startup.
    let got = read();
    for (let i = 0; i < 20 && got.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      got = read();
    }
    expect(got.stdout).toBe("served by ganesha\n");
    expect((await server.stop(T)).rc).toBe(0);
    expect((await server.monitor(T)).rc).toBe(7);
    expect(read().status).not.toBe(0);
    expect((await server.stop(T)).rc).toBe(0);
  });
});

describe.skipIf(!isRoot || !has("unshare") || !has("killall") || !has("pgrep"))("killnfsd in a private PID namespace", () => {
  let dir = "";
  const children: ChildProcess[] = [];
  let nsInit = 0;
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    // The namespace's first process, started by this test: killing it ends the whole namespace.
    if (nsInit > 1) spawnSync("kill", ["-9", String(nsInit)]);
    nsInit = 0;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The pid (as we see it) of the first process inside a new PID namespace: unshare -f's child. */
  async function pidNamespace(): Promise<number> {
    const holder = spawn("unshare", ["-p", "-f", "--kill-child", "-m", "--mount-proc", "sleep", "600"], { stdio: "ignore" });
    children.push(holder);
    for (let i = 0; i < 1000; i++) {
      try {
        const kids = readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, "utf8").trim();
        // Only once the child has exec'd sleep is its private /proc mounted: before that, killall
        // entering it would still see the host's processes.
        const kid = Number(kids.split(" ")[0]);
        if (kid > 1) nsInit = kid;
        if (kid > 1 && readlinkSync(`/proc/${kid}/exe`).endsWith("/sleep")) return kid;
      } catch {
        /* not forked yet */
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error("the PID namespace holder never forked");
  }

  it("kills nfsd with SIGKILL on stop, so nothing keeps the export busy", async () => {
    dir = mkdtempSync(join(tmpdir(), `vigil-killnfsd-${process.pid}-`));
    copyFileSync("/bin/sleep", join(dir, "nfsd")); // a process whose name is nfsd
    const ns = await pidNamespace();
    const wrap = ["nsenter", "-t", String(ns), "-p", "-m"];
    const fakeNfsd = spawn(wrap[0]!, [...wrap.slice(1), join(dir, "nfsd"), "600"], { stdio: "ignore" });
    children.push(fakeNfsd);
    const died = new Promise<string | null>((r) => fakeNfsd.once("exit", (_c, sig) => r(sig)));
    const agent = createKillNfsd(
      { id: "killnfsd", agent: "killnfsd", args: [] },
      { wrap, startCommand: ["true"], stopCommand: ["true"], statusCommand: ["sh", "-c", "pgrep -x nfsd >/dev/null || exit 3"] },
    );
    for (let i = 0; i < 200 && (await agent.monitor(T)).rc !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await agent.start(T)).message).toContain("already running");
    const stopped = await agent.stop(T);
    expect(stopped).toMatchObject({ rc: 0, message: expect.stringContaining("nfsd killed") });
    expect(await died).toBe("SIGKILL");
    expect((await agent.stop(T)).rc).toBe(0);
  });
});
