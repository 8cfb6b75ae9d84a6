// The lease worker for real: a worker thread renewing a real address's kernel lifetime in a namespace
// this test creates (and removes), with real `ip`.
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
});
