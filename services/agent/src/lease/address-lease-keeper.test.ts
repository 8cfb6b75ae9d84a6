// The lease worker for real: a worker thread renewing a real address's kernel lifetime in a namespace
// this test creates (and removes), with real `ip`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "@vigil/resource-agents/exec/run-command";
import { createVethPair, type VethPair } from "@vigil/resource-agents/ipaddr/veth-pair-fixture";
import { ensureBuilt } from "../heartbeat/fixtures/ensure-built.js";
import { AddressLeaseKeeper } from "./address-lease-keeper.js";
import { leaseTiming } from "@vigil/shared/config/derived-timing";

const workerUrl = new URL("../../dist/lease/lease-worker.js", import.meta.url);
const T = { timeoutMs: 10_000 };
let lab: VethPair;

beforeAll(async () => {
  ensureBuilt();
  lab = await createVethPair("ls");
}, 150_000);
afterAll(async () => {
  await lab?.destroy();
});

async function held(ip: string): Promise<boolean> {
  const r = await runCommand([...lab.wrapA, "ip", "-j", "-4", "addr", "show", "dev", lab.devA], T);
  return (JSON.parse(r.stdout) as { addr_info: { local: string }[] }[]).some((l) => l.addr_info.some((a) => a.local === ip));
}

describe("the address lease worker", () => {
  it("keeps a held address alive past its lifetime, and once released lets the kernel remove it", async () => {
    const timing = leaseTiming({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 });
    const keeper = new AddressLeaseKeeper(timing, workerUrl);
    keeper.start();
    try {
      const ip = "198.51.100.21";
      const a = { wrap: lab.wrapA, ip, prefix: 24, dev: lab.devA };
      await runCommand([...lab.wrapA, "ip", "addr", "add", `${ip}/24`, "dev", lab.devA, "valid_lft", "1", "preferred_lft", "1"], T);
      keeper.hold(a);
      // Three lifetimes later it is still there: renewed, while this thread sleeps in await.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await held(ip)).toBe(true);
      expect(keeper.lapses()).toBe(0);
      expect(keeper.unconfirmed()).toBe(false);
      await keeper.release(a);
      const t0 = performance.now();
      for (let i = 0; i < 100 && (await held(ip)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await held(ip)).toBe(false);
      expect(performance.now() - t0).toBeLessThan(2_500);
    } finally {
      await keeper.stop();
    }
  });

  it("a busy main thread is not a stall: the worker renews on, and no lapse is counted", async () => {
    const timing = leaseTiming({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 300 });
    const keeper = new AddressLeaseKeeper(timing, workerUrl);
    keeper.start();
    try {
      const ip = "198.51.100.22";
      await runCommand([...lab.wrapA, "ip", "addr", "add", `${ip}/24`, "dev", lab.devA, "valid_lft", "1", "preferred_lft", "1"], T);
      keeper.hold({ wrap: lab.wrapA, ip, prefix: 24, dev: lab.devA });
      await new Promise((r) => setTimeout(r, 300));
      const until = Date.now() + 1_500;
      while (Date.now() < until); // the main thread blocked for longer than the lifetime
      expect(keeper.unconfirmed()).toBe(false);
      expect(keeper.lapses()).toBe(0);
      expect(await held(ip)).toBe(true);
      await keeper.release({ wrap: lab.wrapA, ip });
      await runCommand([...lab.wrapA, "ip", "addr", "del", `${ip}/24`, "dev", lab.devA], T);
    } finally {
      await keeper.stop();
    }
  });

  it("a process stopped past its lease removes what it held the moment it runs again, without waiting for the kernel's lifetime", async () => {
    // A lifetime of 5 s and a stall limit of 150 ms: a 1 s SIGSTOP is past the lease while the
    // kernel still has the address, which is how a renewal on its way at the stop, or the kernel's
    // coarse lifetime timer, leaves an address behind a stall.
    const timing = leaseTiming({ keepaliveMs: 50, warntimeMs: 150, deadtimeMs: 5_000 });
    expect(timing.lifetimeS).toBe(5);
    const ip = "198.51.100.23";
    const a = { wrap: lab.wrapA, ip, prefix: 24, dev: lab.devA };
    await runCommand([...lab.wrapA, "ip", "addr", "add", `${ip}/24`, "dev", lab.devA, "valid_lft", "5", "preferred_lft", "5"], T);
    const keeperUrl = new URL("../../dist/lease/address-lease-keeper.js", import.meta.url).href;
    const code = `
      const { AddressLeaseKeeper } = await import(${JSON.stringify(keeperUrl)});
      const k = new AddressLeaseKeeper(${JSON.stringify(timing)}, new URL(${JSON.stringify(workerUrl.href)}));
      k.on("lapsed", (l) => console.log(JSON.stringify({ lapsed: l })));
      k.start();
      k.hold(${JSON.stringify(a)});
      setTimeout(() => console.log(JSON.stringify({ holding: true })), 400);
      setInterval(() => {}, 1000);`;
    // A file, not `-e`: the worker thread would inherit `--input-type` and refuse to load.
    const dir = mkdtempSync(join(tmpdir(), "vigil-lease-"));
    writeFileSync(join(dir, "holder.mjs"), code);
    const child = spawn(process.execPath, [join(dir, "holder.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
    const lines: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout! }).on("line", (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const until = async (pred: () => boolean, ms: number) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, ms / 200));
      return pred();
    };
    try {
      expect(await until(() => lines.some((l) => l.holding), 10_000), "the child holds the address").toBe(true);
      child.kill("SIGSTOP");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await held(ip), "the kernel still has it: its lifetime has not run out").toBe(true);
      child.kill("SIGCONT");
      const thawed = performance.now();
      for (let i = 0; i < 100 && (await held(ip)); i++) await new Promise((r) => setTimeout(r, 20));
      const goneAfter = performance.now() - thawed;
      expect(await held(ip), "the address outlived the lease").toBe(false);
      expect(goneAfter).toBeLessThan(1_500);
      expect(await until(() => lines.some((l) => l.lapsed), 5_000)).toBe(true);
      expect(lines.find((l) => l.lapsed)!.lapsed).toMatchObject({ dropped: [`${lab.wrapA.join(" ")}|${ip}`], failures: [] });
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      await runCommand([...lab.wrapA, "ip", "addr", "del", `${ip}/24`, "dev", lab.devA], T);
    }
  });
});
