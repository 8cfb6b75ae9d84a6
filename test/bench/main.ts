// `npm run bench`: builds the failover lab once (3 nodes, a floating IP in front of an HTTP server, a
// client probing every few ms), measures the client-visible outage over link-loss trials and planned
// standby switches, then how fast the log folds and what an idle agent costs, and prints a table.
// Trial counts: VIGIL_BENCH_TRIALS (both), or VIGIL_BENCH_LINK_TRIALS / VIGIL_BENCH_STANDBY_TRIALS;
// VIGIL_BENCH_FOLD_EVENTS (default 1,000,000); VIGIL_BENCH_IDLE_S (default 10);
// VIGIL_BENCH_LOAD_S (default 60; DESIGN.md asks 600): idling with both cores saturated.
// Ctrl-C or a failure tears the lab down (lab.destroy, and the lab's exit sweep as a last resort).
import { TIMING_PROFILES } from "@vigil/shared/config/timing-profiles";
import { createVipCluster, type VipCluster } from "../lab/vip-cluster.js";
import { benchFold } from "./fold-bench.js";
import { linkLossTrials, standbyTrials, type TrialTimes } from "./outage-trials.js";
import { measureIdle, type IdleUsage } from "./proc-usage.js";
import { saturatedIdle, type SaturatedResult } from "./saturated-trial.js";
import { formatTable, ms, summarize } from "./stats.js";
import { arbiterElectionTrials, tiebreakTakeoverTrials } from "./tiebreak-trials.js";
import { FAST_LAB_TIMING } from "../lab/config-files.js";
import { LAB_CLUSTER } from "../lab/lab.js";

function intFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`bench: ${name}=${raw} is not a whole number in 0..${max}`);
  return n;
}

const progress = (line: string) => console.error(`[bench] ${line}`);

async function main(): Promise<number> {
  const both = intFromEnv("VIGIL_BENCH_TRIALS", 20, 500);
  const linkN = intFromEnv("VIGIL_BENCH_LINK_TRIALS", both, 500);
  const standbyN = intFromEnv("VIGIL_BENCH_STANDBY_TRIALS", both, 500);
  const foldN = intFromEnv("VIGIL_BENCH_FOLD_EVENTS", 1_000_000, 20_000_000);
  const idleS = intFromEnv("VIGIL_BENCH_IDLE_S", 10, 600);
  const loadS = intFromEnv("VIGIL_BENCH_LOAD_S", 60, 3600);
  const timing = TIMING_PROFILES.fast;
  // Two nodes with `tiebreaker nats`: VIGIL_BENCH_TIEBREAK_TRIALS (default 3), VIGIL_BENCH_ELECTION_TRIALS (default 2).
  const tiebreakN = intFromEnv("VIGIL_BENCH_TIEBREAK_TRIALS", 3, 100);
  const electionN = intFromEnv("VIGIL_BENCH_ELECTION_TRIALS", 2, 100);

  progress(`building the lab: 3 nodes, 1 NATS server, client; fast profile (keepalive ${timing.keepaliveMs}ms, warntime ${timing.warntimeMs}ms, deadtime ${timing.deadtimeMs}ms)`);
  let c: VipCluster | undefined;
  let link: TrialTimes = { away: [], back: [] };
  let standby: TrialTimes = { away: [], back: [] };
  let idle: Array<IdleUsage & { node: string }> = [];
  let loaded: SaturatedResult | undefined;
  try {
    c = await createVipCluster({
      timing: { ...timing },
      probe: { intervalMs: 3, timeoutMs: 150, maxInFlight: 128, maxMs: 60 * 60_000, maxCount: 2_000_000 },
      // The ARP watch's processes would compete with the agents for the two cores; the lab tests run it.
      watch: false,
    });
    const cluster = c;
    progress(`lab ${c.lab.prefix} up; the VIP ${c.vip} answers from n1`);
    if (linkN > 0) {
      progress(`${linkN} link-loss trials: n1's link down → n2 answers → link up → back on n1`);
      link = await linkLossTrials(cluster, { trials: linkN, progress });
    }
    if (standbyN > 0) {
      progress(`${standbyN} planned switches: vigil node standby n1 → n2 answers → vigil node online n1`);
      standby = await standbyTrials(cluster, { trials: standbyN, progress });
    }
    await c.probe.stop();
    if (idleS > 0) {
      progress(`idle agents: sampling /proc for ${idleS} s (probe stopped)`);
      idle = await Promise.all(c.lab.nodes.map(async (node) => ({ node, ...(await measureIdle(cluster.lab.agents.pid(node), idleS)) })));
    }
    if (loadS > 0) {
      progress(`${loadS} s idle with both cores saturated by two busy loops`);
      loaded = await saturatedIdle(cluster, loadS, 2, progress);
    }
  } catch (e) {
    if (c) console.error(c.lab.diagnostics());
    throw e;
  } finally {
    if (c) {
      progress("tearing the lab down");
      await c.destroy();
    }
  }

  let takeover: number[] = [];
  let election: number[] = [];
  if (tiebreakN > 0) {
    progress(`${tiebreakN} two-node tie-breaker takeovers: heartbeat cut, then the lease holder's link down and kill -9 → VIP on n2`);
    takeover = await tiebreakTakeoverTrials({ trials: tiebreakN, timing: FAST_LAB_TIMING, progress });
  }
  if (electionN > 0) {
    progress(`${electionN} arbiter elections: three NATS servers, heartbeat cut, the lease bucket's leader killed`);
    election = await arbiterElectionTrials({ trials: electionN, timing: FAST_LAB_TIMING, cluster: LAB_CLUSTER, progress });
  }

  let fold: ReturnType<typeof benchFold> | undefined;
  if (foldN > 0) {
    progress(`folding ${foldN.toLocaleString("en")} events with applyEvent`);
    fold = benchFold(foldN, 100_000, (done) => {
      if (done % 250_000 === 0 || done === foldN) progress(`  folded ${done.toLocaleString("en")}`);
    });
  }

  const row = (what: string, xs: number[]) => {
    const s = summarize(xs);
    return [what, String(s.n), ms(s.median), ms(s.p95), ms(s.max)];
  };
  console.log("");
  console.log(`Heartbeat settings: keepalive ${timing.keepaliveMs}ms, warntime ${timing.warntimeMs}ms, deadtime ${timing.deadtimeMs}ms, initdead ${timing.initdeadMs}ms (fast profile)`);
  console.log(`Client: a new HTTP connection to the VIP every 3 ms (150 ms timeout, never more than 50 in flight); outage = longest gap between two answers`);
  console.log("");
  console.log(
    formatTable(
      ["client-visible outage (ms)", "n", "median", "p95", "max"],
      [
        row("link loss of n1: failover to n2", link.away),
        row("  link back: failback to n1", link.back),
        row("vigil node standby n1: switch to n2", standby.away),
        row("  vigil node online n1: back to n1", standby.back),
      ],
    ),
  );
  console.log("Targets (DESIGN.md): link loss ≤ 250 ms median with the fast profile; standby ≤ 100 ms.");
  if (takeover.length || election.length) {
    const t = FAST_LAB_TIMING;
    console.log("");
    console.log(`Two nodes, tiebreaker nats (lab timing: keepalive ${t.keepaliveMs}ms, warntime ${t.warntimeMs}ms, deadtime ${t.deadtimeMs}ms; lease TTL 2 × deadtime, ≥ 1 s)`);
    console.log(
      formatTable(
        ["tie-breaker (ms)", "n", "median", "p95", "max"],
        [
          ...(takeover.length ? [row("lease holder killed in a split: VIP on n2", takeover)] : []),
          ...(election.length ? [row("arbiter's bucket leader killed in a split: no VIP holder", election)] : []),
        ],
      ),
    );
  }
  if (idle.length) {
    console.log("");
    console.log(
      formatTable(
        ["idle agent", "pid", "seconds", "CPU %", "max RSS MB"],
        idle.map((u) => [u.node, String(u.pid), u.seconds.toFixed(1), u.cpuPercent.toFixed(2), u.maxRssMb.toFixed(1)]),
      ),
    );
    console.log("Target: under 1% CPU and 80 MB RSS.");
  }
  if (loaded) {
    console.log("");
    console.log(
      `Both cores saturated for ${loaded.seconds} s: ${loaded.late} late peers, ${loaded.dead} dead, ${loaded.quorumLost} quorum lost, ${loaded.groupStops} group stops.`,
    );
    console.log("Target: no false failover in 10 minutes with both cores saturated (VIGIL_BENCH_LOAD_S=600).");
  }
  if (fold) {
    console.log("");
    console.log(`Fold: ${fold.events.toLocaleString("en")} events with applyEvent in ${(fold.foldMs / 1000).toFixed(2)} s (${Math.round(fold.eventsPerSecond).toLocaleString("en")} events/s)`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
