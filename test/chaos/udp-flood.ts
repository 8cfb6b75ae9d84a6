// The flood kind's attacker: a host of its own on the lab's wire listens to the heartbeat group for a
// moment (real, signed heartbeats), then sends a bounded number of datagrams to the heartbeat port:
// random bytes, truncated copies of what it heard, and exact replays of it. The content comes from
// the trial's seed (mulberry32 inline: this script runs in its own node process inside the namespace).
import { createInterface } from "node:readline";
import { join } from "node:path";
import type { Lab } from "../lab/lab.js";
import { LabProcess } from "../lab/lab-process.js";
import { LAB_SUBNET } from "../lab/netns.js";
import { inNs } from "../lab/sh.js";

const FLOOD = `
const dgram = require("node:dgram");
const [group, port, ifaceAddr, count, seed, captureMs] = process.argv.slice(1).map((x, i) => i < 1 || i === 2 ? x : Number(x));
let a = seed >>> 0;
const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const int = (lo, hi) => lo + Math.floor((hi - lo + 1) * rnd());
const heard = [];
const listen = dgram.createSocket({ type: "udp4", reuseAddr: true });
listen.on("message", (m) => { if (heard.length < 200) heard.push(Buffer.from(m)); });
listen.bind(port, group, () => {
  listen.addMembership(group, ifaceAddr);
  setTimeout(flood, captureMs);
});
const hardStop = setTimeout(() => process.exit(2), 60000);
function flood() {
  listen.close();
  const out = dgram.createSocket("udp4");
  out.bind(0, ifaceAddr, () => {
    out.setMulticastInterface(ifaceAddr);
    out.setMulticastTTL(1);
    const sent = { random: 0, truncated: 0, replayed: 0 };
    let i = 0;
    const burst = () => {
      for (let k = 0; k < 10 && i < count; k++, i++) {
        const mode = heard.length === 0 ? 0 : int(0, 2);
        let buf;
        if (mode === 0) { buf = Buffer.alloc(int(0, 1400)); for (let j = 0; j < buf.length; j++) buf[j] = int(0, 255); sent.random++; }
        else if (mode === 1) { const h = heard[int(0, heard.length - 1)]; buf = h.subarray(0, int(0, Math.max(0, h.length - 1))); sent.truncated++; }
        else { buf = heard[int(0, heard.length - 1)]; sent.replayed++; }
        out.send(buf, port, group);
      }
      if (i < count) setTimeout(burst, 10);
      else setTimeout(() => { console.log(JSON.stringify({ heard: heard.length, sent })); clearTimeout(hardStop); process.exit(0); }, 100);
    };
    burst();
  });
}
`;

export interface FloodResult {
  heard: number;
  sent: { random: number; truncated: number; replayed: number };
}

/** Adds the attacker host (once per lab) and runs one bounded flood; resolves when it is sent. */
export async function udpFlood(lab: Lab, count: number, seed: number, captureMs = 1_000): Promise<FloodResult> {
  const host = lab.net.hosts.get("x") ?? (await lab.net.addHost("x", `${LAB_SUBNET}.102`));
  const argv = [process.execPath, "-e", FLOOD, lab.mcast.group, String(lab.mcast.port), host.addr, String(count), String(seed >>> 0), String(captureMs)];
  const proc = lab.track(new LabProcess("udp-flood", inNs(host.ns, argv), join(lab.dir, "udp-flood.log"), { pipeStdout: true }));
  let result: FloodResult | undefined;
  createInterface({ input: proc.child.stdout! }).on("line", (l) => {
    try {
      result = JSON.parse(l) as FloodResult;
    } catch {
      /* not the summary */
    }
  });
  const exit = await proc.exited;
  if (exit.code !== 0 || !result) throw new Error(`chaos: the UDP flood failed (exit ${exit.code ?? exit.signal}):\n${proc.logTail(10)}`);
  return result;
}
