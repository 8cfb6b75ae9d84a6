// Real ICMP: loopback answers; inside a namespace this test creates, with `lo` down, nothing does.
import { execFileSync, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { PingWitness } from "./ping-witness.js";
import { eventually } from "../../test-support/eventually.js";

const ns = `vpw${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
let created = false;
afterAll(() => {
  if (created) execFileSync("ip", ["netns", "del", ns]);
});


describe("ping witness", () => {
  it("answers while a ping node answers, and stops answering a lease after it stops", async () => {
    const w = new PingWitness({ nodes: ["127.0.0.1"], intervalMs: 50, leaseMs: 300 });
    expect(w.answering()).toBe(false);
    w.start();
    try {
      expect(await eventually(() => w.answering(), 5_000)).toBe(true);
    } finally {
      w.stop();
    }
    expect(await eventually(() => !w.answering(), 2_000)).toBe(true);
  });

  it("reads reply lines only", () => {
    let t = 1_000;
    const w = new PingWitness({ nodes: [], intervalMs: 50, leaseMs: 300, now: () => t });
    w.onLine("PING 198.51.100.1 (198.51.100.1) 56(84) bytes of data.");
    expect(w.answering()).toBe(false);
    w.onLine("64 bytes from 198.51.100.1: icmp_seq=1 ttl=64 time=0.05 ms");
    expect(w.answering()).toBe(true);
    t += 300;
    expect(w.answering()).toBe(false);
  });

  it("does not answer when no ping node is reachable", async () => {
    execFileSync("ip", ["netns", "add", ns]);
    created = true;
    // Inside the namespace (lo down) 127.0.0.1 is unreachable; the witness runs there in a child.
    const mod = new URL("../../dist/cluster/ping-witness.js", import.meta.url).pathname;
    const script = `import("${mod}").then(async ({ PingWitness }) => {
        const w = new PingWitness({ nodes: ["127.0.0.1"], intervalMs: 50, leaseMs: 300 });
        w.start();
        let seen = false;
        for (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 25)); seen ||= w.answering(); }
        w.stop();
        console.log(JSON.stringify({ seen }));
      });`;
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn("ip", ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", script]);
      let s = "";
      c.stdout.on("data", (d: Buffer) => (s += d.toString()));
      c.on("exit", (code) => (code === 0 ? resolve(s) : reject(new Error(`exit ${code}`))));
    });
    expect(JSON.parse(out)).toEqual({ seen: false });
  });
});
