// Fencing with a fence agent of the fence_* family, through its stdin interface, on the namespace
// lab: test/stand-ins/fence_lab (the lab's "power switch" is a namespace's link; no Debian agent can
// act on one) is configured as an operator would configure fence_ipmilan. The holder's agent is
// killed with -9, its address still configured: the survivor fences it over stdin (the lines the
// device received are checked), then takes the group. With bad credentials the fence fails: the
// group stays off, the log and `vigil status` say which node could not be fenced and why, retries
// are bounded; once the device accepts the credentials (fixed), the next retry fences and the group moves.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { is, type LoggedEvent } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { tearDownLabAfterEach } from "./lab-teardown.js";
import { LAB_PREFIXLEN, LAB_SUBNET } from "./netns.js";
import { repoRoot } from "./repo-root.js";
import { must } from "./sh.js";

const VIP = `${LAB_SUBNET}.81`;
const IP_RESOURCE = `IPaddr::${VIP}/${LAB_PREFIXLEN}/eth0`;
const FENCE_LAB = join(repoRoot(), "test", "stand-ins", "fence_lab");
const keepLab = tearDownLabAfterEach();

async function holds(l: Lab, node: string): Promise<boolean> {
  const out = await must(["ip", "-j", "-n", l.host(node).ns, "-4", "addr", "show", "dev", "eth0"]);
  return (JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>).some((x) => (x.addr_info ?? []).some((a) => a.local === VIP));
}

async function linkUp(l: Lab, node: string): Promise<boolean> {
  const out = await must(["ip", "-j", "-n", l.host(node).ns, "link", "show", "dev", "eth0"]);
  return ((JSON.parse(out) as Array<{ flags?: string[] }>)[0]?.flags ?? []).includes("UP");
}

/** Two nodes, `web` on n2, fenced by the `fence_agent` line `agentLine(device)`. */
async function fencedPair(passwd: string, accepts: string, agentLine?: (device: string) => string) {
  const l = await createLab({ nodes: ["n1", "n2"], natsServers: 1, client: true });
  keepLab(l);
  const device = join(l.dir, "fence-device");
  mkdirSync(device, { recursive: true });
  writeFileSync(join(device, "credentials"), `admin:${accepts}\n`);
  const map = l.nodes.map((n) => `${n}:${l.host(n).ns}`).join(";");
  l.writeConfigs({
    haresources: `n2 group=web ${IP_RESOURCE}\n`,
    extra: ["auto_failback off", agentLine?.(device) ?? `fence_agent ${FENCE_LAB} device=${device} login=admin passwd=${passwd} action=off pcmk_host_map=${map}`],
  });
  for (const n of l.nodes) l.agents.start(n);
  const tail = l.tail();
  await tail.waitFor(is("GroupStarted", { node: "n2" }), 30_000, "web started on n2");
  expect(await holds(l, "n2")).toBe(true);
  return { l, tail, device };
}

const fenceOfN2 = (e: LoggedEvent) => e.type === "Fenced" && e.node === "n1" && e.victim === "n2";

/** The requests the lab fence device received, each as its lines. */
function requests(device: string): string[][] {
  const text = readFileSync(join(device, "requests.log"), "utf8");
  return text.split(/^--- .*$/m).map((b) => b.split("\n").filter((x) => x !== "")).filter((b) => b.length > 0);
}

describe("fencing with a fence_* agent over its stdin interface (lab)", () => {
  it("kill -9 of the holder: the survivor fences it through the agent's stdin, then takes the group", { timeout: 120_000 }, async () => {
    const { l, tail, device } = await fencedPair("pw", "pw");
    const since = tail.events().length;
    const killedAt = Date.now();
    await l.agents.kill9("n2");
    const fenced = await tail.waitFor(fenceOfN2, 30_000, "n1 fences n2");
    expect(fenced).toMatchObject({ ok: true, rc: 0, message: "Success: Powered OFF", attempt: 1 });
    const started = await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "web started on n1");
    // Fenced first, then started: never on the strength of the lease alone.
    expect(started.seq).toBeGreaterThan(fenced.seq);
    console.log(`measured: kill -9 → Fenced ${Date.parse(fenced.time) - killedAt} ms, → GroupStarted on n1 ${Date.parse(started.time) - killedAt} ms (deadtime ${l.timing.deadtimeMs} ms)`);
    expect(tail.events().slice(since).filter((e) => e.type === "RecoveredWithoutFencing")).toEqual([]);
    expect(await linkUp(l, "n2")).toBe(false);
    expect(await holds(l, "n1")).toBe(true);
    // What the device read on stdin, line for line: the operator's parameters, then action and plug.
    expect(requests(device)).toEqual([[`device=${device}`, "login=admin", "passwd=pw", "action=off", `plug=${l.host("n2").ns}`]]);
  });

  it("a failing fence agent blocks the takeover and says so; fixed, the next retry fences and the group moves", { timeout: 150_000 }, async () => {
    const { l, tail, device } = await fencedPair("wrong", "right");
    await l.agents.kill9("n2");
    const failedFence = (attempt: number) => (e: LoggedEvent) => fenceOfN2(e) && e.ok === false && e.attempt === attempt;
    const first = await tail.waitFor(failedFence(1), 30_000, "n1's first fence of n2 fails");
    expect(first).toMatchObject({ rc: 1, nextAttemptMs: 2_000 });
    expect(first.message).toMatch(/bad credentials for 'admin'/);
    expect(first.cause).toMatch(/attempt 1 of 6, exit 1: .*bad credentials.*the groups n2 held stay stopped until it is fenced; next attempt in 2 s/);
    const second = await tail.waitFor(failedFence(2), 30_000, "the second attempt fails too");
    expect(second.nextAttemptMs).toBe(4_000);
    // Retries are spaced as logged, not per decision.
    expect(Date.parse(second.time) - Date.parse(first.time)).toBeGreaterThanOrEqual(1_900);

    // Blocked: n1 holds nothing while n2 cannot be fenced; status names n2, n1 and the agent's words.
    expect(await holds(l, "n1")).toBe(false);
    expect(tail.events().some((e) => is("GroupStarting", { node: "n1" })(e))).toBe(false);
    const text = await l.cli.run(["status"]);
    expect(text.stdout).toMatch(/WARNING: n2 could not be fenced: n1's fence agent failed \(exit 1: Failed: Unable to connect\/login to fencing device: bad credentials for 'admin'\) at attempt 2; n1 retries/);
    const json = JSON.parse((await l.cli.run(["status", "--json"])).stdout) as { fenceFailures: unknown[]; nodes: { name: string; state: string }[] };
    expect(json.fenceFailures).toEqual([expect.objectContaining({ victim: "n2", by: "n1", rc: 1, attempt: 2, gaveUp: false })]);
    expect(json.nodes.find((n) => n.name === "n2")?.state).toBe("unclean");

    // The device is fixed (it now accepts what ha.cf says): the next retry fences n2, web moves.
    writeFileSync(join(device, "credentials"), "admin:wrong\n");
    const fenced = await tail.waitFor((e) => fenceOfN2(e) && e.ok === true, 30_000, "a retry fences n2");
    expect(fenced.attempt).toBeGreaterThanOrEqual(3);
    await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "web started on n1");
    expect(await holds(l, "n1")).toBe(true);
    expect((JSON.parse((await l.cli.run(["status", "--json"])).stdout) as { fenceFailures: unknown[] }).fenceFailures).toEqual([]);
    // Every attempt reached the device over stdin; none was run twice at once.
    expect(requests(device).map((r) => r.find((x) => x.startsWith("action=")))).toEqual(Array(fenced.attempt as number).fill("action=off"));
  });

  it("Debian's fence_dummy failing (non-zero exit): no takeover, status says so; vigil node confirm-fenced lets it happen", { timeout: 120_000 }, async () => {
    // The `fence fence_NAME key=value…` spelling of the same thing.
    const { l, tail } = await fencedPair("", "", () => "fence fence_dummy type=fail power_timeout=1 action=off");
    await l.agents.kill9("n2");
    const failed = await tail.waitFor((e) => fenceOfN2(e) && e.ok === false, 30_000, "fence_dummy fails against n2");
    expect(failed).toMatchObject({ rc: 1, attempt: 1 });
    expect(failed.message).toMatch(/Failed: Timed out waiting to power OFF/);
    const text = (await l.cli.run(["status"])).stdout;
    expect(text).toMatch(/WARNING: n2 could not be fenced: n1's fence agent failed \(exit 1: .*Timed out waiting to power OFF\)/);
    expect(text).toMatch(/UNCLEAN: \[ n2 \]/);
    expect(await holds(l, "n1")).toBe(false);

    const confirm = await l.cli.run(["node", "confirm-fenced", "n2"]);
    expect(confirm.code, confirm.stderr).toBe(0);
    const started = await tail.waitFor(is("GroupStarted", { node: "n1" }), 30_000, "web started on n1 after the confirmation");
    expect(started.seq).toBeGreaterThan(failed.seq);
    expect(await holds(l, "n1")).toBe(true);
    expect((JSON.parse((await l.cli.run(["status", "--json"])).stdout) as { fenceFailures: unknown[] }).fenceFailures).toEqual([]);
  });
});
