// The client-visible outage of a floating IP, trial after trial, on one lab cluster: link loss of the
// active node (failover, then failback when the link returns) and planned switches (`vigil node
// standby n1` / `online n1`). Each trial starts from the VIP settled on n1 alone, and every wait is
// bounded, so a stuck trial fails the bench instead of hanging it.
import type { VipCluster } from "../lab/vip-cluster.js";

export interface TrialTimes {
  /** Outage while the group leaves n1 (failover or standby switch), ms. */
  away: number[];
  /** Outage while it comes back to n1 (failback or online), ms. */
  back: number[];
}

export interface TrialOptions {
  trials: number;
  /** Bound on each wait for the VIP to answer from its next node. */
  moveTimeoutMs?: number;
  settleMs?: number;
  progress?: (line: string) => void;
}

async function home(c: VipCluster, settleMs: number, timeoutMs: number): Promise<void> {
  await c.probe.waitSettledOn("n1", settleMs, timeoutMs);
  await c.waitOnlyHolder("n1", timeoutMs);
}

export async function linkLossTrials(c: VipCluster, o: TrialOptions): Promise<TrialTimes> {
  const timeout = o.moveTimeoutMs ?? 20_000;
  const settle = o.settleMs ?? 500;
  const t: TrialTimes = { away: [], back: [] };
  for (let i = 1; i <= o.trials; i++) {
    await home(c, settle, timeout);
    const cutAt = Date.now();
    await c.lab.faults.linkDown("n1");
    const first = await c.probe.waitForAnswerFrom("n2", timeout, cutAt);
    t.away.push(c.probe.outage(cutAt, first.at));
    await c.probe.waitSettledOn("n2", settle, timeout);
    const upAt = Date.now();
    await c.lab.faults.linkUp("n1");
    const back = await c.probe.waitForAnswerFrom("n1", timeout, upAt);
    t.back.push(c.probe.outage(upAt, back.at));
    o.progress?.(`link loss ${i}/${o.trials}: failover ${t.away.at(-1)!.toFixed(0)} ms, failback ${t.back.at(-1)!.toFixed(0)} ms`);
  }
  await home(c, settle, timeout);
  return t;
}

export async function standbyTrials(c: VipCluster, o: TrialOptions): Promise<TrialTimes> {
  const timeout = o.moveTimeoutMs ?? 20_000;
  const settle = o.settleMs ?? 500;
  const t: TrialTimes = { away: [], back: [] };
  const cli = async (args: string[]) => {
    const r = await c.lab.cli.run(args, 30_000);
    if (r.code !== 0) throw new Error(`bench: vigil ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  };
  for (let i = 1; i <= o.trials; i++) {
    await home(c, settle, timeout);
    // The outage window opens when the command is issued: the CLI's own start-up is part of it only
    // if the cluster acts before it returns, which is what the client would see.
    const standbyAt = Date.now();
    await cli(["node", "standby", "n1"]);
    const first = await c.probe.waitForAnswerFrom("n2", timeout, standbyAt);
    t.away.push(c.probe.outage(standbyAt, first.at));
    await c.probe.waitSettledOn("n2", settle, timeout);
    await c.waitOnlyHolder("n2", timeout);
    const onlineAt = Date.now();
    await cli(["node", "online", "n1"]);
    const back = await c.probe.waitForAnswerFrom("n1", timeout, onlineAt);
    t.back.push(c.probe.outage(onlineAt, back.at));
    o.progress?.(`standby ${i}/${o.trials}: switch ${t.away.at(-1)!.toFixed(0)} ms, back ${t.back.at(-1)!.toFixed(0)} ms`);
  }
  await home(c, settle, timeout);
  return t;
}
