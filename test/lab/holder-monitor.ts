// Who holds an address, in every node's namespace, for the whole of a test or trial: ONE long-lived
// `ip -ts -o monitor address all-nsid`, run in the lab's bridge namespace with an nsid given there to
// each node's namespace, hears every add and delete of every namespace on one netlink socket, in the
// order the kernel made them. One reader, so two nodes' changes can never be stamped out of order
// (with one monitor per namespace, each stamping what it read, a hand-off on a loaded box could
// look like 7 ms of two holders). It costs no CPU while nothing changes; the state at the start
// comes from one `ip -j addr` per namespace.
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Lab } from "./lab.js";
import { LabProcess } from "./lab-process.js";
import { must, pollUntil, run } from "./sh.js";

export interface HolderChange {
  node: string;
  /** Wall-clock ms (Date.now() scale), as `ip -ts` stamped it. */
  at: number;
  held: boolean;
}

/** `[2026-12-01T10:08:50.456964] [nsid 2]Deleted 3: eth0    inet 198.51.100.50/24 …` (ip runs with
 *  TZ=UTC; the nsid is there with `all-nsid`). */
export function parseMonitorLine(line: string, addr: string): { at: number; held: boolean; nsid: number | null } | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\]\s+(?:\[nsid (\d+)\]\s*)?(Deleted\s+)?\d+:\s+\S+\s+inet\s+([\d.]+)\//.exec(line);
  if (!m || m[4] !== addr) return undefined;
  const at = Date.parse(`${m[1]}Z`);
  return Number.isFinite(at) ? { at, held: !m[3], nsid: m[2] === undefined ? null : Number(m[2]) } : undefined;
}

export class HolderMonitor {
  private proc: LabProcess | null = null;
  private readonly current = new Map<string, boolean>();
  private readonly byNsid = new Map<number, string>();
  /** Every change seen, in arrival order (initial states first, stamped when read). */
  readonly changes: HolderChange[] = [];
  /** Every monitor line about the address, as read (a failing test prints them: the lifetime in each
   *  tells a leased add or renewal, `valid_lft 1sec`, from a permanent add, `forever`). */
  readonly lines: Array<{ node: string; at: number; line: string }> = [];
  /** Lines of `ip monitor` that were not about `addr` or could not be read (kept for diagnosis). */
  unparsed = 0;

  constructor(
    private readonly hosts: ReadonlyArray<{ node: string; ns: string }>,
    private readonly addr: string,
    private readonly logDir: string,
    /** Where the one monitor runs (the lab's bridge namespace): the node namespaces get nsids there. */
    private readonly watchNs: string,
  ) {}

  /** The monitor of `addr` on `nodes` (default: every node) of a lab; its log goes to `logDir`. */
  static forLab(lab: Pick<Lab, "nodes" | "host" | "dir" | "net">, addr: string, opts: { nodes?: readonly string[]; logDir?: string } = {}): HolderMonitor {
    const nodes = opts.nodes ?? lab.nodes;
    return new HolderMonitor(nodes.map((n) => ({ node: n, ns: lab.host(n).ns })), addr, opts.logDir ?? lab.dir, lab.net.bridgeNs);
  }

  /** Starts the monitor, then reads each namespace's state once. `track` hands the process to the lab. */
  async start(track: (p: LabProcess) => void): Promise<void> {
    for (const { node, ns } of this.hosts) this.byNsid.set(await this.nsidOf(ns), node);
    const p = new LabProcess("ip-monitor", ["ip", "-ts", "-o", "-n", this.watchNs, "monitor", "address", "all-nsid"], join(this.logDir, "ip-monitor.log"), {
      pipeStdout: true,
      env: { ...process.env, TZ: "UTC" },
    });
    track(p);
    this.proc = p;
    createInterface({ input: p.child.stdout! }).on("line", (l) => {
      const c = parseMonitorLine(l, this.addr);
      const node = c?.nsid === null || c === undefined ? undefined : this.byNsid.get(c.nsid);
      if (!c || node === undefined) {
        if (!/ inet6? /.test(l)) this.unparsed++;
        return;
      }
      if (this.lines.length < 10_000) this.lines.push({ node, at: c.at, line: l.replace(/\s+/g, " ") });
      this.record(node, c.at, c.held);
    });
    // ip has subscribed once it is running; a change in this short gap would be missed, so the
    // initial read comes after it (tests and trials start from a settled cluster).
    await new Promise((r) => setTimeout(r, 300));
    for (const { node, ns } of this.hosts) {
      const at = Date.now();
      const out = await must(["ip", "-j", "-n", ns, "addr", "show"]);
      const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
      const held = links.some((l) => (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === this.addr));
      if (!this.current.has(node)) this.record(node, at, held);
    }
    if (!p.alive) throw new Error(`lab: ip monitor exited:\n${p.logTail(5)}`);
  }

  /** `ns`'s id as seen from the watch namespace: given here (the next free one) unless it has one. */
  private async nsidOf(ns: string): Promise<number> {
    const listed = async () => {
      const r = await must(["ip", "-n", this.watchNs, "netns", "list-id"]);
      return [...r.matchAll(/nsid (\d+) \(iproute2 netns name: (\S+)\)/g)].map((m) => ({ id: Number(m[1]), name: m[2]! }));
    };
    const ids = await listed();
    const known = ids.find((x) => x.name === ns);
    if (known) return known.id;
    const next = Math.max(0, ...ids.map((x) => x.id)) + 1;
    const r = await run(["ip", "-n", this.watchNs, "netns", "set", ns, String(next)]);
    const now = (await listed()).find((x) => x.name === ns);
    if (!now) throw new Error(`lab: could not give ${ns} an nsid in ${this.watchNs}: ${r.stderr.trim()}`);
    return now.id;
  }

  /** Nodes holding the address now (as far as the monitor has reported). */
  holders(): string[] {
    return [...this.current.entries()].filter(([, h]) => h).map(([n]) => n).sort();
  }

  holds(node: string): boolean {
    return this.current.get(node) === true;
  }

  /** The first time `node`'s holding became `held` at or after `since`. */
  changedAt(node: string, held: boolean, since: number): number | undefined {
    return this.changes.find((c) => c.node === node && c.held === held && c.at >= since)?.at;
  }

  /** Polls (bounded) until `pred` holds; returns whether it did. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    return pollUntil("", async () => (pred() ? true : undefined), { timeoutMs, intervalMs: 10 }).catch(() => pred());
  }

  /** The monitor lines read since `since`, one per line, times relative to it. */
  linesSince(since: number): string {
    return this.lines
      .filter((l) => l.at >= since)
      .map((l) => `+${l.at - since} ms ${l.node}: ${l.line}`)
      .join("\n");
  }

  /** The monitor still running (one that died would leave the record blind). */
  alive(): boolean {
    return this.proc?.alive ?? false;
  }

  async stop(): Promise<void> {
    await this.proc?.stop(2_000);
  }

  private record(node: string, at: number, held: boolean): void {
    if (this.current.get(node) === held) return; // a renewal (`ip addr change`) or a repeat
    this.current.set(node, held);
    this.changes.push({ node, at, held });
  }
}

export interface Overlap {
  from: number;
  to: number;
  nodes: string[];
}

/** Intervals inside [from, to] during which two or more nodes held the address. */
export function holderOverlaps(changes: readonly HolderChange[], from: number, to: number): Overlap[] {
  const held = new Map<string, boolean>();
  const sorted = [...changes].sort((a, b) => a.at - b.at);
  const out: Overlap[] = [];
  let open: Overlap | undefined;
  const holders = () => [...held.entries()].filter(([, h]) => h).map(([n]) => n).sort();
  const step = (at: number) => {
    const hs = holders();
    if (hs.length >= 2 && !open) open = { from: Math.max(at, from), to: to, nodes: hs };
    else if (hs.length >= 2 && open) open.nodes = [...new Set([...open.nodes, ...hs])].sort();
    else if (hs.length < 2 && open) {
      open.to = Math.min(at, to);
      if (open.to > open.from) out.push(open);
      open = undefined;
    }
  };
  for (const c of sorted) {
    if (c.at > to) break;
    held.set(c.node, c.held);
    step(c.at);
  }
  if (open) {
    open.to = to;
    if (open.to > open.from) out.push(open);
  }
  return out;
}

export const overlapMs = (o: readonly Overlap[]) => o.reduce((s, x) => s + (x.to - x.from), 0);
