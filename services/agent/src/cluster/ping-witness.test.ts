// Real ICMP: loopback answers; inside a namespace this test creates, with `lo` down, nothing does.
import { execFileSync, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { PingWitness } from "./ping-witness.js";

const ns = `vpw${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
let created = false;
afterAll(() => {
  if (created) execFileSync("ip", ["netns", "del", ns]);
});

describe("ping witness", () => {
  it("answers while a ping node answers", async () => {
    const w = new PingWitness({ nodes: ["127.0.0.1"], intervalMs: 500 });
    expect(w.answering()).toBe(false);
    expect(await w.probeOnce()).toEqual(["127.0.0.1"]);
    expect(w.answering()).toBe(true);
  });

  it("does not answer when no ping node is reachable, and an old answer goes stale", async () => {
    execFileSync("ip", ["netns", "add", ns]);
    created = true;
    // Probe from inside the namespace (lo down: 127.0.0.1 unreachable) through a child process.
    const script = `
      import("${new URL("../../dist/cluster/ping-witness.js", import.meta.url).pathname}").then(async ({ PingWitness }) => {
        const w = new PingWitness({ nodes: ["127.0.0.1"], intervalMs: 500 });
        const answered = await w.probeOnce();
        console.log(JSON.stringify({ answered, answering: w.answering() }));
      });`;
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn("ip", ["netns", "exec", ns, process.execPath, "--input-type=module", "-e", script]);
      let s = "";
      c.stdout.on("data", (d: Buffer) => (s += d.toString()));
      c.on("exit", (code) => (code === 0 ? resolve(s) : reject(new Error(`exit ${code}`))));
    });
    expect(JSON.parse(out)).toEqual({ answered: [], answering: false });

    let t = 0;
    const w = new PingWitness({ nodes: ["127.0.0.1"], intervalMs: 500, freshMs: 1_500, now: () => t });
    await w.probeOnce();
    expect(w.answering()).toBe(true);
    t = 1_501;
    expect(w.answering()).toBe(false);
  });
});
