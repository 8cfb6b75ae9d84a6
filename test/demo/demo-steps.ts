// One demo step as the client sees it: do something to the cluster, wait until the client's answers
// have settled on one node (the expected one, or whichever took over), wait for the log to record
// the group started there, and print the client's view of the step.
import type { LoggedEvent } from "../lab/event-tail.js";
import type { HttpProbe } from "../lab/http-probe.js";
import { must, pollUntil } from "../lab/sh.js";
import { clientView, describeView, type ClientView } from "./client-view.js";
import type { DemoCluster } from "./demo-cluster.js";
import { NODES } from "./demo-cluster.js";
import { note, showStatus } from "./narrate.js";

/** Bounds for one step: a failover takes about a second here; anything near these means it failed. */
export const MOVE_TIMEOUT_MS = 30_000;
const SETTLE_MS = 500;

export interface StepResult {
  view: ClientView;
  node: string;
}

export interface StepOptions {
  probe: HttpProbe;
  group: string;
  /** The group's address: after the client settles, the step checks which nodes hold it (`ip addr`). */
  vip: string;
  /** The node the group must end on; omitted: any node but `awayFrom` (the cluster chooses). */
  to?: string;
  awayFrom?: string;
}

/** The log's last sequence number seen so far: events after it belong to the step. */
export const logMark = (c: DemoCluster): number => c.events.events().at(-1)?.seq ?? 0;

export const isGroupEvent = (type: string, group: string, node?: string) => (e: LoggedEvent) =>
  e.type === type && e.group === group && (node === undefined || e.node === node);

export async function clientStep(c: DemoCluster, o: StepOptions, action: () => Promise<void>): Promise<StepResult> {
  const from = Date.now();
  const mark = logMark(c);
  const failedBefore = o.probe.failureCount;
  await action();
  const node = o.to ?? (await firstAnswerAwayFrom(o.probe, o.awayFrom, from));
  await o.probe.waitForAnswerFrom(node, MOVE_TIMEOUT_MS, from);
  await o.probe.waitSettledOn(node, SETTLE_MS, MOVE_TIMEOUT_MS);
  const view = clientView(o.probe.answersSince(from - 60_000), from, Date.now());
  note(describeView(view, o.probe.failureCount - failedBefore));
  await expectSoleHolder(c, o.vip, node);
  await c.events.waitFor((e) => e.seq > mark && isGroupEvent("GroupStarted", o.group, node)(e), MOVE_TIMEOUT_MS, `GroupStarted ${o.group} on ${node}`);
  return { view, node };
}

/** Nodes whose eth0 holds `vip` now (the ground truth, not what the log says). */
export async function vipHolders(c: DemoCluster, vip: string): Promise<string[]> {
  const held = await Promise.all(
    NODES.map(async (n) => {
      const out = await must(["ip", "-j", "-n", c.lab.host(n).ns, "addr", "show", "dev", "eth0"]);
      const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
      return links.some((l) => (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === vip)) ? n : "";
    }),
  );
  return held.filter(Boolean);
}

/**
 * Invariant 1 seen from outside: once the client has settled on `node`, only `node` may hold the
 * address. A second holder is shown loudly (never hidden), then awaited away, bounded.
 */
async function expectSoleHolder(c: DemoCluster, vip: string, node: string): Promise<void> {
  const held = await vipHolders(c, vip);
  if (held.length === 1 && held[0] === node) return note(`${vip} is held by ${node} only (ip addr in every node)`);
  note(`!! ${vip} is held by ${held.join(" AND ") || "no node"} (expected ${node} only): Invariant 1 is broken here`);
  const since = Date.now();
  await pollUntil(`${vip} held by ${node} only`, async () => {
    const h = await vipHolders(c, vip);
    return h.length === 1 && h[0] === node ? h : undefined;
  }, { timeoutMs: 15_000, intervalMs: 50 });
  note(`!! ... ${node} became the only holder ${Date.now() - since} ms later`);
}

/** The first node other than `away` that answers after `since` (the cluster's own choice). */
async function firstAnswerAwayFrom(probe: HttpProbe, away: string | undefined, since: number): Promise<string> {
  const candidates = NODES.filter((n) => n !== away);
  const first = await Promise.any(candidates.map((n) => probe.waitForAnswerFrom(n, MOVE_TIMEOUT_MS, since))).catch((e: AggregateError) => {
    throw new Error(`no node but ${away} answered the client: ${e.errors.map((x: Error) => x.message).join("; ")}`);
  });
  return first.node;
}

/** Runs `vigil <args>` from the client namespace, shows it and fails the demo if it fails. */
export async function vigil(c: DemoCluster, args: string[]): Promise<void> {
  note(`$ vigil ${args.join(" ")}`);
  const r = await c.lab.cli.run(args, 60_000);
  const out = `${r.stdout}${r.stderr}`.trim();
  if (out) note(out.split("\n").map((l) => `  ${l}`).join("\n          "));
  if (r.code !== 0) throw new Error(`vigil ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
}

export async function status(c: DemoCluster): Promise<void> {
  note("$ vigil status");
  await showStatus(c.lab.cli);
}
