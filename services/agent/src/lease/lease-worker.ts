// The address lease, in a worker thread of its own: it renews the kernel lifetime of every address
// the agent holds (`ip -batch` of `address change … valid_lft N`), and stops doing so when it finds
// that the agent was stalled past its lease. It runs while the main thread is busy (a slow resource
// agent, a long GC) and stops with the process (SIGSTOP, kill -9): then the kernel removes the
// addresses by itself, N seconds after the last renewal at most.
import { spawn } from "node:child_process";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { leaseKey, renewalLine, type LeasedAddress } from "@vigil/resource-agents/ipaddr/address-lease";
import { stalledPastLease } from "./lease-timing.js";
import { LAPSES, LAST_TICK, type FromLeaseWorker, type LeaseWorkerData, type ToLeaseWorker } from "./lease-protocol.js";

if (!parentPort) throw new Error("lease-worker must run as a worker thread");
const port: MessagePort = parentPort;
const { timing, shared } = workerData as LeaseWorkerData;
const cells = new BigInt64Array(shared);
const post = (m: FromLeaseWorker) => port.postMessage(m);
/** CLOCK_MONOTONIC, the same clock on every thread of the process. */
const nowNs = () => process.hrtime.bigint();
const ms = (ns: bigint) => Number(ns) / 1e6;

const held = new Map<string, LeasedAddress>();
let renewing: Promise<void> | null = null;
let lastRenew = 0n;
let lastTick = nowNs();
Atomics.store(cells, LAST_TICK, lastTick);

function tick(): void {
  const t = nowNs();
  const gap = ms(t - lastTick);
  lastTick = t;
  if (stalledPastLease(gap, timing)) {
    // Renewing now could bring back an address the kernel already removed while a peer took it over.
    const dropped = [...held.keys()];
    held.clear();
    Atomics.add(cells, LAPSES, 1n);
    Atomics.store(cells, LAST_TICK, t);
    post({ type: "lapsed", gapMs: Math.round(gap), dropped });
    return;
  }
  Atomics.store(cells, LAST_TICK, t);
  if (held.size > 0 && !renewing && ms(t - lastRenew) >= timing.renewEveryMs) {
    lastRenew = t;
    renewing = renew([...held.values()]).finally(() => (renewing = null));
  }
}

/** One `ip -batch` per namespace; resolves when every one has exited, so a release can wait for it. */
async function renew(addresses: LeasedAddress[]): Promise<void> {
  const byWrap = new Map<string, LeasedAddress[]>();
  for (const a of addresses) byWrap.set(a.wrap.join("\0"), [...(byWrap.get(a.wrap.join("\0")) ?? []), a]);
  await Promise.all([...byWrap.values()].map((list) => batch(list[0]!.wrap, list.map((a) => renewalLine(a, timing.lifetimeS)))));
}

function batch(wrap: readonly string[], lines: string[]): Promise<void> {
  return new Promise((resolve) => {
    const argv = [...wrap, "ip", "-force", "-batch", "-"];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), timing.lifetimeS * 1000);
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()).length > 2000 && (stderr = stderr.slice(-2000)));
    child.on("error", (e) => post({ type: "renew-failed", message: `${argv.join(" ")}: ${e.message}` }));
    child.on("close", (code) => {
      clearTimeout(killer);
      if (code !== 0) post({ type: "renew-failed", message: `ip -batch exited ${code}: ${stderr.trim().slice(0, 300)}` });
      resolve();
    });
    child.stdin.on("error", () => {});
    child.stdin.end(lines.join("\n") + "\n");
  });
}

const timer = setInterval(tick, timing.tickMs);

port.on("message", (m: ToLeaseWorker) => {
  if (m.type === "hold") held.set(leaseKey(m.address), m.address);
  else if (m.type === "release") {
    held.delete(m.key);
    // A renewal already under way may still carry the address: answer once it has exited.
    void (renewing ?? Promise.resolve()).then(() => post({ type: "released", id: m.id }));
  } else if (m.type === "stop") {
    clearInterval(timer);
    held.clear();
    void (renewing ?? Promise.resolve()).then(() => port.close());
  }
});
