// One chaos trial on a lab of its own: three agents (or two and an arbiter, two-node-kinds.ts) and
// one floating IP (`web`, preferred on n1), a client fetching it every 10 ms, an `ip monitor` per node recording who holds the address. The kind
// injects its fault and heals it; then the trial waits for the cluster to settle, runs the four
// operator commands with --wait, and checks every invariant. The lab is torn down whatever happens,
// and what it left behind is checked too.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deserializeView } from "@vigil/agent/events/view-snapshot";
import { fenceWindowMs } from "@vigil/shared/config/derived-timing";
import type { LabTiming } from "../lab/config-files.js";
import { HolderMonitor } from "../lab/holder-monitor.js";
import { LAB_CLUSTER } from "../lab/lab.js";
import type { LabProcess } from "../lab/lab-process.js";
import { createVipCluster, VIP, VIP_GROUP, VIP_NODES, type VipCluster } from "../lab/vip-cluster.js";
import { createRng } from "../sim/prng.js";
import {
  duplicateIds,
  flapping,
  foldDifferences,
  freshFold,
  holderOverlaps,
  INVARIANTS,
  longestNoHolder,
  parseLog,
  statusMismatch,
  type Invariant,
  type StatusJson,
} from "./invariants.js";
import { kindByName, type Params } from "./kinds.js";
import { leftovers, outboxPending, processesIn, runToFile, type ProcessCensus } from "./lab-checks.js";
import type { PlannedTrial } from "./schedule.js";

/** Issue 7's cluster: keepalive 100 ms, deadtime 500 ms (warntime between, heartbeat's rule). */
export const CHAOS_TIMING: LabTiming = { keepaliveMs: 100, warntimeMs: 250, deadtimeMs: 500, initdeadMs: 2_000 };
/** "Carried out within 10 s": the --wait bound of each operator command. */
export const OBEY_S = 10;
/** After a command returns, the namespaces get this long to show it (the log runs ahead of or behind the wire). */
const OBEY_GRACE_MS = 3_000;
/** `ip monitor` stamps a change when it reads it: on a loaded 2-core box, up to this late (one
 *  monitor reads every namespace, so the order of changes is exact; their times are not). */
export const MONITOR_PRECISION_MS = 100;

export interface TrialOptions {
  short: boolean;
  /** Overlaps of two holders up to this long are not violations, in every kind. Default: the design's
   *  fence window (`fenceWindowMs` of the lab's timing, plus the monitors' precision) in the kinds that
   *  stall or kill the holder's agent alone, and none elsewhere. */
  fenceWindowMs?: number;
  progress?: (line: string) => void;
}

export interface TrialResult extends PlannedTrial {
  short: boolean;
  params: Params;
  description: string;
  /** Per invariant: undefined = not checked in this kind, [] = held, else what broke. */
  violations: Partial<Record<Invariant, string[]>>;
  /** Client-visible outage from the fault's start until the group settled again (ms). */
  outageMs: number | undefined;
  /** Where the group settled after the fault, if it did within the bound. */
  settledOn: string | undefined;
  /** Durations of every two-holder overlap (ms), fence window or not. */
  overlapsMs: number[];
  /** Longest time no namespace held the address (ms). */
  darkMs: number | undefined;
  notes: string[];
  /** Agents' and servers' log tails, kept when something failed. */
  diagnostics?: string;
  /** The harness itself failed (the lab did not come up, a step threw): the trial proves nothing. */
  error?: string;
  durationMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runTrial(plan: PlannedTrial, o: TrialOptions): Promise<TrialResult> {
  const kind = kindByName(plan.kind);
  const rng = createRng(plan.seed);
  const params = kind.draw(rng, o.short);
  const started = Date.now();
  const res: TrialResult = {
    ...plan,
    short: o.short,
    params,
    description: kind.describe(params, "n1"),
    violations: {},
    outageMs: undefined,
    settledOn: undefined,
    overlapsMs: [],
    darkMs: undefined,
    notes: [],
    durationMs: 0,
  };
  const note = (l: string) => res.notes.push(l);
  const violate = (inv: Invariant, why: string) => (res.violations[inv] ??= []).push(why);
  const checked = (inv: Invariant) => (res.violations[inv] ??= []);

  const nodes = [...(kind.nodes ?? VIP_NODES)];
  let c: VipCluster | undefined;
  let census: ProcessCensus = { pids: [] };
  try {
    c = await createVipCluster({
      natsServers: kind.natsServers,
      nodes,
      ...(kind.extra ? { extra: kind.extra } : {}),
      timing: CHAOS_TIMING,
      watch: false,
      probe: { intervalMs: 10, timeoutMs: 200, maxInFlight: 64, maxMs: 20 * 60_000, maxCount: 200_000 },
      startupMs: 45_000,
    });
    const lab = c.lab;
    const cluster = c;
    // The monitor starts while the group settles (its start waits for `ip monitor` to subscribe); it
    // records every change from then on, and the fault begins only once both are done.
    const monitor = HolderMonitor.forLab(lab, VIP, { nodes });
    await Promise.all([c.probe.waitSettledOn("n1", 1_000, 30_000), monitor.start((p: LabProcess) => void lab.track(p))]);
    const holder = monitor.holders()[0] ?? "n1";
    if (monitor.holders().join() !== "n1") note(`before the fault the address was held by [${monitor.holders().join(", ")}]`);
    res.description = kind.describe(params, holder);
    o.progress?.(`  lab ${lab.prefix} up in ${((Date.now() - started) / 1000).toFixed(0)} s; fault: ${res.description}`);

    // The fault.
    const t0 = Date.now();
    try {
      await kind.run({ c, lab, holder, seed: plan.seed, note }, params);
    } catch (e) {
      res.error = `the fault did not run as planned: ${(e as Error).message}`;
    }
    const healedAt = Date.now();

    // Settling: the client answered by one node, which alone holds the address.
    const settleBound = o.short ? 20_000 : 45_000;
    const settled = await waitSettled(cluster, monitor, settleBound);
    res.settledOn = settled?.node;
    res.outageMs = cluster.probe.outage(t0, settled?.at ?? Date.now());
    if (!settled) {
      const last = cluster.probe.last();
      note(
        `the group did not settle within ${settleBound / 1000} s of the heal: the monitors say [${monitor.holders().join(", ")}], ` +
          `ip addr says [${(await cluster.holders()).join(", ")}], last answer from ${last ? `${last.node} ${((Date.now() - last.at) / 1000).toFixed(1)} s ago` : "nobody"}`,
      );
    }
    else if (settled.node !== "n1") note(`settled on ${settled.node}, not on its preferred n1`);

    // One truth, after the heal.
    const allOnline = Object.fromEntries(nodes.map((n) => [n, "online"]));
    let lastStatus = await truth(cluster, monitor, "after the heal", allOnline, violate);
    checked("oneTruth");

    // Every outbox drains.
    checked("exactlyOnce");
    const drained = await waitDrained(lab.nodes.map((n) => lab.agents.stateDir(n)), 15_000);
    for (const [i, n] of lab.nodes.entries()) if (drained[i]! > 0) violate("exactlyOnce", `${n}'s outbox still holds ${drained[i]} unpublished events 15 s after the heal`);

    // Still obeys: the four commands, each carried out (log and namespaces) within 10 s.
    checked("stillObeys");
    const last = nodes.at(-1)!;
    const steps: Array<{ args: string[]; want: (h: string[]) => boolean; wantText: string; states: Record<string, string> }> = [
      { args: ["node", "standby", "n1"], want: (h) => h.length === 1 && h[0] !== "n1", wantText: "one holder other than n1", states: { ...allOnline, n1: "standby" } },
      { args: ["node", "online", "n1"], want: (h) => h.join() === "n1", wantText: "n1 alone (auto_failback on)", states: allOnline },
      { args: ["resource", "move", VIP_GROUP, last], want: (h) => h.join() === last, wantText: `${last} alone`, states: allOnline },
      { args: ["resource", "clear", VIP_GROUP], want: (h) => h.join() === "n1", wantText: "n1 alone", states: allOnline },
    ];
    for (const step of steps) {
      const ok = await obey(cluster, monitor, step, violate);
      lastStatus = (await truth(cluster, monitor, `after vigil ${step.args.join(" ")}`, step.states, violate)) ?? lastStatus;
      if (!ok && o.short) {
        note(`--short: the remaining commands were skipped after vigil ${step.args.join(" ")} failed`);
        break;
      }
    }

    // One holder, over the whole trial (fault, settling, commands).
    const until = Date.now();
    if (!monitor.alive()) res.error ??= "an ip monitor died during the trial: the holder record is incomplete";
    await monitor.stop();
    const overlaps = holderOverlaps(monitor.changes, t0, until);
    const allowedOverlapMs = o.fenceWindowMs ?? (kind.agentOnly ? fenceWindowMs(CHAOS_TIMING) + MONITOR_PRECISION_MS : 0);
    res.overlapsMs = overlaps.map((x) => Math.round(x.to - x.from));
    res.darkMs = Math.round(longestNoHolder(monitor.changes, t0, healedAt + settleBound));
    checked("oneHolder");
    for (const x of overlaps) {
      if (x.to - x.from > allowedOverlapMs) violate("oneHolder", `${x.nodes.join(" and ")} both held ${VIP} for ${Math.round(x.to - x.from)} ms from +${Math.round(x.from - t0)} ms`);
    }
    if (kind.holderKeeps) {
      for (const x of monitor.changes.filter((ch) => ch.at >= t0 && ch.at <= healedAt).slice(0, 5)) {
        violate("oneHolder", `the holder was to keep ${VIP} through the fault, but it was ${x.held ? "added on" : "removed from"} ${x.node} at +${Math.round(x.at - t0)} ms`);
      }
    }
    if (monitor.unparsed > 0) note(`${monitor.unparsed} ip-monitor lines not understood`);

    // Stop the agents (each saves its fold), then read the whole log.
    census = await processesIn(lab.net.namespaces);
    await lab.agents.stopAll(10_000);
    const logFile = join(lab.dir, "chaos-log.jsonl");
    const lr = await runToFile(lab.cli.argv(["log", "--json"]), logFile, 30_000);
    if (lr.code !== 0) {
      res.error ??= `vigil log --json failed (exit ${lr.code}): ${lr.stderr.trim().split("\n").at(-1)}`;
    } else {
      const { events, invalid } = parseLog(readFileSync(logFile, "utf8"));
      if (invalid.length) note(`${invalid.length} log lines are not valid events (first: ${invalid[0]})`);
      for (const d of duplicateIds(events).slice(0, 5)) violate("exactlyOnce", `event ${d.id} is in the log ${d.seqs.length} times (#${d.seqs.join(", #")})`);
      if (kind.mustNotFlap) {
        checked("noFlapping");
        const flaps = flapping(events, monitor.changes, t0, healedAt + CHAOS_TIMING.deadtimeMs);
        for (const f of flaps.slice(0, 8)) violate("noFlapping", f);
        if (flaps.length > 8) violate("noFlapping", `… and ${flaps.length - 8} more`);
      }
      // Each agent's fold equals a fresh fold of the log up to where the agent's stands, and it stands
      // at least where the log stood before the agents stopped (a stalled follower stays behind).
      const logAt = lastStatus?.lastSeq ?? 0;
      for (const n of lab.nodes) {
        let text: string;
        try {
          text = readFileSync(join(lab.agents.stateDir(n), "view.json"), "utf8");
        } catch {
          violate("oneTruth", `${n} saved no fold (view.json) when it stopped`);
          continue;
        }
        const mine = deserializeView(text, LAB_CLUSTER)?.view;
        if (!mine) {
          violate("oneTruth", `${n}'s view.json is not a fold of cluster ${LAB_CLUSTER}`);
          continue;
        }
        if (mine.lastSeq < logAt) violate("oneTruth", `${n}'s fold stopped at #${mine.lastSeq}; the log was at #${logAt} before the agents stopped`);
        const diffs = foldDifferences(mine, freshFold(LAB_CLUSTER, events, mine.lastSeq));
        if (diffs.length) violate("oneTruth", `${n}'s fold at #${mine.lastSeq} differs from a fresh fold of the log: ${diffs.join("; ")}`);
      }
    }
  } catch (e) {
    res.error ??= (e as Error).message.split("\n").slice(0, 3).join(" ");
  } finally {
    if (c) {
      const prefix = c.lab.prefix;
      if (census.pids.length === 0) census = await processesIn(c.lab.net.namespaces).catch(() => census);
      if (res.error || Object.values(res.violations).some((v) => v.length)) {
        res.diagnostics = c.lab.diagnostics();
        // The whole lab dir (agents' and servers' logs, state dirs, the log read) for a look afterwards.
        const keep = process.env.CHAOS_KEEP_DIR ? join(process.env.CHAOS_KEEP_DIR, `${prefix}-seed${plan.seed}`) : undefined;
        if (keep) {
          try {
            cpSync(c.lab.dir, keep, { recursive: true });
            note(`the lab dir is kept in ${keep}`);
          } catch (e) {
            note(`CHAOS_KEEP_DIR: could not copy the lab dir: ${(e as Error).message}`);
          }
        }
      }
      await c.destroy().catch((e: Error) => note(`teardown: ${e.message}`));
      checked("nothingLeft");
      for (const l of await leftovers(prefix, census)) violate("nothingLeft", l);
    }
    res.durationMs = Date.now() - started;
  }
  for (const inv of INVARIANTS) if (res.violations[inv]?.length === 0 && res.error && inv !== "nothingLeft") delete res.violations[inv];
  return res;
}

/** Bounded: the client answered only by one node for 1 s, and that node alone holds the address.
 *  Waits for n1 (the group's home, auto_failback on); a group settled elsewhere for 5 s counts too. */
async function waitSettled(c: VipCluster, m: HolderMonitor, boundMs: number): Promise<{ node: string; at: number } | undefined> {
  const deadline = Date.now() + boundMs;
  let elsewhere: { node: string; since: number } | undefined;
  for (let i = 0; i < boundMs / 100 + 1 && Date.now() < deadline; i++) {
    const now = Date.now();
    const recent = c.probe.answersSince(now - 1_000);
    const h = m.holders();
    const node = recent[0]?.node;
    const steady = recent.length >= 20 && node !== undefined && recent.every((a) => a.node === node) && h.length === 1 && h[0] === node && gapOk(recent.map((a) => a.at), now);
    if (steady && node === "n1") return { node, at: recent[0]!.at };
    if (steady && node) {
      if (elsewhere?.node !== node) elsewhere = { node, since: now };
      else if (now - elsewhere.since >= 5_000) return { node, at: elsewhere.since - 1_000 };
    } else elsewhere = undefined;
    await sleep(100);
  }
  return elsewhere ? { node: elsewhere.node, at: elsewhere.since - 1_000 } : undefined;
}

const gapOk = (ts: number[], now: number) => ts.every((t, i) => i === 0 || t - ts[i - 1]! <= 200) && now - ts.at(-1)! <= 200;

/** `vigil status --json` agrees with the namespaces (and the expected node states) within 5 s. */
async function truth(
  c: VipCluster,
  m: HolderMonitor,
  when: string,
  nodeStates: Record<string, string>,
  violate: (inv: Invariant, why: string) => void,
): Promise<StatusJson | undefined> {
  const deadline = Date.now() + 5_000;
  let why = "";
  let last: StatusJson | undefined;
  for (let i = 0; i < 10 && (i === 0 || Date.now() < deadline); i++) {
    const r = await c.lab.cli.run(["status", "--json"], 15_000);
    if (r.code !== 0) why = `vigil status --json exited ${r.code}: ${r.stderr.trim().split("\n").at(-1)}`;
    else {
      try {
        last = JSON.parse(r.stdout) as StatusJson;
        const mismatch = statusMismatch(last, VIP_GROUP, m.holders(), nodeStates);
        if (!mismatch) return last;
        why = mismatch;
      } catch {
        why = `vigil status --json printed no JSON: ${r.stdout.slice(0, 100)}`;
      }
    }
    await sleep(500);
  }
  violate("oneTruth", `${when}: ${why}`);
  return last;
}

async function obey(
  c: VipCluster,
  m: HolderMonitor,
  step: { args: string[]; want: (h: string[]) => boolean; wantText: string },
  violate: (inv: Invariant, why: string) => void,
): Promise<boolean> {
  const cmd = `vigil ${step.args.join(" ")} --wait`;
  const t = Date.now();
  const r = await c.lab.cli.run([...step.args, "--wait", "--timeout", String(OBEY_S)], (OBEY_S + 20) * 1000);
  const took = ((Date.now() - t) / 1000).toFixed(1);
  if (r.code !== 0) {
    violate("stillObeys", `${cmd}: exit ${r.code} after ${took} s: ${r.stderr.trim().split("\n").at(-1) ?? ""}`.slice(0, 400));
    return false;
  }
  const deadline = Math.max(t + OBEY_S * 1000, Date.now() + OBEY_GRACE_MS);
  for (let i = 0; i < 1_000 && Date.now() < deadline; i++) {
    if (step.want(m.holders())) return true;
    await sleep(50);
  }
  if (step.want(m.holders())) return true;
  violate("stillObeys", `${cmd} returned after ${took} s, but the address is held by [${m.holders().join(", ")}], not ${step.wantText}`);
  return false;
}

async function waitDrained(stateDirs: string[], boundMs: number): Promise<number[]> {
  const deadline = Date.now() + boundMs;
  let pending = stateDirs.map(outboxPending);
  for (let i = 0; i < boundMs / 250 && pending.some((p) => p > 0) && Date.now() < deadline; i++) {
    await sleep(250);
    pending = stateDirs.map(outboxPending);
  }
  return pending;
}
