// Scene 2: heartbeat's classic NFS line (address, DRBD primary, ext4 mount; the export is left out, see
// nfs-storage.ts) started left to
// right on n2, failing over when n2's link goes down and coming back in order. Beside the client's
// view it shows, sampled from outside, where the filesystem is mounted and who is DRBD Primary.
import type { LoggedEvent } from "../lab/event-tail.js";
import type { DemoCluster } from "./demo-cluster.js";
import { NFS } from "./demo-cluster.js";
import { clientStep, isGroupEvent, logMark, status } from "./demo-steps.js";
import { note, say } from "./narrate.js";
import type { NfsStorage } from "./nfs-storage.js";
import type { Measured } from "./web-scene.js";

export async function nfsScene(c: DemoCluster, storage: NfsStorage, checkpoint: () => void): Promise<Measured[]> {
  const probe = c.nfsProbe!;
  const opts = { probe, group: NFS.group, vip: NFS.vip };
  const order = storage.resources("").map((r) => r.split("::")[0]!);
  const out: Measured[] = [];

  say(`The NFS-style group: ${order.join(" → ")}, preferred on ${NFS.home}`);
  note(`haresources: ${c.haresources.split("\n").find((l) => l.includes(`group=${NFS.group}`))}`);
  note(`disk: ext4 on ${storage.device}; drbdadm is the test STAND-IN (no DRBD in this kernel; it refuses a second Primary)`);
  await c.events.waitFor(isGroupEvent("GroupStarted", NFS.group, NFS.home), 30_000, `GroupStarted ${NFS.group} on ${NFS.home}`);
  showOrder(c.events.events(), "started", NFS.home, 0, order);
  showWhere(c, storage);
  checkpoint();

  say(`${NFS.home}'s link goes down: the NFS group must stop there (right to left) before a survivor starts it (left to right)`);
  const watch = mountWatch(c, storage);
  const cutMark = logMark(c);
  let failover;
  try {
    failover = await clientStep(c, { ...opts, awayFrom: NFS.home }, () => c.lab.faults.linkDown(NFS.home));
  } finally {
    watch.stop();
  }
  out.push({ step: `${NFS.home} link down (NFS group failover)`, from: failover.view.before ?? "-", to: failover.node, outageMs: Math.round(failover.view.outageMs) });
  showOrder(c.events.events(), "started", failover.node, cutMark, order);
  note(`mount sampled every 20 ms during the failover: ${watch.report()}`);
  showWhere(c, storage);
  await status(c);
  checkpoint();

  say(`${NFS.home}'s link comes back: its own stop (kept in its outbox while cut off) reaches the log; the group fails back`);
  const watchBack = mountWatch(c, storage);
  const backMark = logMark(c);
  let failback;
  try {
    failback = await clientStep(c, { ...opts, to: NFS.home }, () => c.lab.faults.linkUp(NFS.home));
  } finally {
    watchBack.stop();
  }
  out.push({ step: `${NFS.home} link up (NFS group failback)`, from: failback.view.before ?? "-", to: failback.node, outageMs: Math.round(failback.view.outageMs) });
  await c.events.waitFor((e) => e.seq > cutMark && isGroupEvent("GroupStopped", NFS.group, NFS.home)(e), 15_000, `${NFS.home}'s GroupStopped`);
  const selfStop = showOrder(c.events.events(), "stopped", NFS.home, cutMark, order);
  const takeover = c.events.events().find((e) => e.seq > cutMark && isGroupEvent("ResourceStarted", NFS.group, failover.node)(e));
  if (selfStop && takeover) {
    const lead = Date.parse(takeover.time) - Date.parse(selfStop.time);
    note(`${NFS.home} finished stopping ${lead >= 0 ? `${lead} ms before` : `${-lead} ms AFTER`} ${failover.node} started the first resource (the quorum lease at work)`);
  }
  showOrder(c.events.events(), "stopped", failover.node, backMark, order);
  showOrder(c.events.events(), "started", NFS.home, backMark, order);
  note(`mount sampled every 20 ms during the failback: ${watchBack.report()}`);
  showWhere(c, storage);
  await status(c);
  return out;
}

/** Prints the order `node` started/stopped the group's resources after `mark`; returns the last event. */
function showOrder(events: LoggedEvent[], what: "started" | "stopped", node: string, mark: number, order: string[]): LoggedEvent | undefined {
  const type = what === "started" ? "ResourceStarted" : "ResourceStopped";
  const seen = events.filter((e) => e.seq > mark && isGroupEvent(type, NFS.group, node)(e));
  // Only the last run of each resource counts (a restart in place would list it twice).
  const names = seen.map((e) => String(e.resource).split("::")[0]!);
  const expected = what === "started" ? order : [...order].reverse();
  const verdict = names.join() === expected.join() ? "in order" : `NOT the expected ${expected.join(" → ")}`;
  note(`${node} ${what}: ${names.join(" → ") || "(nothing logged yet)"}  (${verdict})`);
  return seen.at(-1);
}

function showWhere(c: DemoCluster, storage: NfsStorage): void {
  const mounted = storage.mountedOn(c.agentPids());
  note(`ext4 mounted on: ${mounted.join(", ") || "none"} (each node's own mount namespace); DRBD Primary (stand-in): ${storage.primaries().join(", ") || "none"}`);
}

/** Samples, every 20 ms and at most 1500 times, on how many nodes the filesystem is mounted. */
function mountWatch(c: DemoCluster, storage: NfsStorage) {
  const pids = c.agentPids();
  let samples = 0;
  let most = 0;
  const holders = new Set<string>();
  const sample = () => {
    samples++;
    const on = storage.mountedOn(pids);
    on.forEach((n) => holders.add(n));
    most = Math.max(most, on.length);
  };
  const timer = setInterval(() => (samples >= 1_500 ? clearInterval(timer) : sample()), 20);
  return {
    // A last sample on stop, so the step's final state is never missed between two ticks.
    stop: () => (clearInterval(timer), sample()),
    report: () =>
      `${samples} samples, mounted on ${[...holders].join(" then ") || "no node"}, ${most > 1 ? `ON ${most} NODES AT ONCE` : "never on two nodes at once"}`,
  };
}
