// The address lease, in a worker thread of its own: it renews the kernel lifetime of every address
// the agent holds (`address change … valid_lft N` lines to `ip -batch`), and stops doing so when it finds
// that the agent was stalled past its lease. It runs while the main thread is busy (a slow resource
// agent, a long GC) and stops with the process (SIGSTOP, kill -9): then the kernel removes the
// addresses by itself, N seconds after the last renewal at most.
import { spawn } from "node:child_process";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { runCommand } from "@vigil/resource-agents/exec/run-command";
import { leaseKey, renewalLine, type LeasedAddress } from "@vigil/resource-agents/ipaddr/address-lease";
import { stalledPastLease } from "./lease-timing.js";
import { LAPSES, LAST_GAP_MS, LAST_TICK, type FromLeaseWorker, type LeaseWorkerData, type ToLeaseWorker } from "./lease-protocol.js";

if (!parentPort) throw new Error("lease-worker must run as a worker thread");
const port: MessagePort = parentPort;
const { timing, shared } = workerData as LeaseWorkerData;
const cells = new BigInt64Array(shared);
const post = (m: FromLeaseWorker) => port.postMessage(m);
/** CLOCK_MONOTONIC, the same clock on every thread of the process. */
const nowNs = () => process.hrtime.bigint();
const ms = (ns: bigint) => Number(ns) / 1e6;

const held = new Map<string, LeasedAddress>();
let lastRenew = 0n;
let lastTick = nowNs();
Atomics.store(cells, LAST_TICK, lastTick);

/** While the addresses of a lapse are being removed: no tick counts, and LAST_TICK stays old, so the
 *  main thread sees the lease unconfirmed and decides nothing until they are gone. */
let dropping = false;

function tick(): void {
  if (dropping) return;
  const t = nowNs();
  const gap = ms(t - lastTick);
  lastTick = t;
  if (stalledPastLease(gap, timing)) {
    // Renewing now could bring back an address the kernel already removed while a peer took it over.
    // Remove them too: one still there (the kernel's lifetime timer is coarse) or brought back by a
    // renewal that was on its way when the process stopped must not outlive the lease.
    const dropped = [...held.values()];
    held.clear();
    dropping = true;
    void removeAll(dropped).then((failures) => {
      dropping = false;
      lastTick = nowNs();
      Atomics.store(cells, LAST_GAP_MS, BigInt(Math.round(gap)));
      Atomics.add(cells, LAPSES, 1n);
      Atomics.store(cells, LAST_TICK, lastTick);
      post({ type: "lapsed", gapMs: Math.round(gap), dropped: dropped.map(leaseKey), failures });
    });
    return;
  }
  Atomics.store(cells, LAST_TICK, t);
  if (held.size > 0 && ms(t - lastRenew) >= timing.renewEveryMs) {
    lastRenew = t;
    for (const a of held.values()) batchFor(a.wrap).write(renewalLine(a, timing.lifetimeS));
  }
}

/** After every renewal already written has run (the batches drained), deletes each address that is
 *  still there; "not there" is the usual answer (the kernel removed it) and not a failure. Bounded:
 *  each `ip` is killed after DROP_TIMEOUT_MS. Resolves with what could not be removed. */
const DROP_TIMEOUT_MS = 1_000;
async function removeAll(addresses: readonly LeasedAddress[]): Promise<string[]> {
  const byWrap = new Map<string, LeasedAddress[]>();
  for (const a of addresses) byWrap.set(wrapKey(a.wrap), [...(byWrap.get(wrapKey(a.wrap)) ?? []), a]);
  const failures: string[] = [];
  await Promise.all(
    [...byWrap.values()].map(async (list) => {
      await drain(list[0]!.wrap);
      for (const a of list) {
        const r = await runCommand([...a.wrap, "ip", "-4", "address", "del", `${a.ip}/${a.prefix}`, "dev", a.dev], { timeoutMs: DROP_TIMEOUT_MS });
        if (r.code !== 0 && !/Cannot assign requested address|No such device/.test(r.stderr)) failures.push(`${leaseKey(a)}: ${r.stderr.trim().slice(0, 200) || `exit ${r.code}`}`);
      }
    }),
  );
  return failures;
}

/** One long-lived `ip -force -batch -` per namespace, fed a line per renewal: no process spawned per
 *  renewal. It exits when its stdin closes, after running every line it was given: that is how a
 *  release knows no renewal is still on its way (and a killed agent's batch ends with it). */
interface Batch {
  write(line: string): void;
  /** Closes stdin; resolves once the process has exited. */
  end(): Promise<void>;
}
const batches = new Map<string, Batch>();
/** One batch per namespace: the command prefix it runs behind. */
const wrapKey = (wrap: readonly string[]) => wrap.join("\0");

function batchFor(wrap: readonly string[]): Batch {
  const key = wrapKey(wrap);
  const existing = batches.get(key);
  if (existing) return existing;
  const argv = [...wrap, "ip", "-force", "-batch", "-"];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    // iproute2 reports each failed line; pass complete lines on, never silently.
    const lines = stderr.split("\n");
    stderr = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) post({ type: "renew-failed", message: l.trim().slice(0, 300) });
  });
  child.on("error", (e) => post({ type: "renew-failed", message: `${argv.join(" ")}: ${e.message}` }));
  child.stdin.on("error", () => {});
  const b: Batch = {
    write: (line) => void child.stdin.write(line + "\n"),
    end: () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill("SIGKILL"), 2_000);
      return exited.finally(() => clearTimeout(killer));
    },
  };
  batches.set(key, b);
  void exited.then(() => batches.get(key) === b && batches.delete(key));
  return b;
}

/** Ends the namespace's batch (a later renewal starts a new one). */
function drain(wrap: readonly string[]): Promise<void> {
  const key = wrapKey(wrap);
  const b = batches.get(key);
  if (!b) return Promise.resolve();
  batches.delete(key);
  return b.end();
}

const timer = setInterval(tick, timing.tickMs);

port.on("message", (m: ToLeaseWorker) => {
  if (m.type === "hold") held.set(leaseKey(m.address), m.address);
  else if (m.type === "release") {
    held.delete(m.key);
    // A renewal already written may not have run yet: answer once the batch has run everything.
    void drain(m.wrap).then(() => post({ type: "released", id: m.id }));
  } else if (m.type === "stop") {
    clearInterval(timer);
    held.clear();
    void Promise.all([...batches.values()].map((b) => b.end())).then(() => port.close());
  }
});
