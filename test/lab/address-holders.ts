// Who holds an address, sampled without loading the cores: one long-lived `ip -o monitor address`
// per node namespace reports every add, renewal and delete as it happens, stamped when read here
// (a few ms late at most). From those, the moments when two nodes held the address at once.
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Lab } from "./lab.js";
import { LabProcess } from "./lab-process.js";
import { must } from "./sh.js";

export interface HolderChange {
  node: string;
  at: number;
  held: boolean;
}

export interface Overlap {
  from: number;
  to: number;
  nodes: string[];
}

export class AddressHolders {
  readonly changes: HolderChange[] = [];
  /** Every monitor line about the address, as read (for a failing test's message: the lifetime in
   *  each line tells a lease renewal from a permanent add). */
  readonly lines: Array<{ node: string; at: number; line: string }> = [];
  private readonly now = new Map<string, boolean>();
  private readonly procs: LabProcess[] = [];

  private constructor(
    private readonly vip: string,
    private readonly nodes: readonly string[],
  ) {}

  /** Starts one monitor per node, then reads what each holds now (the monitor reports what follows). */
  static async start(lab: Lab, nodes: readonly string[], vip: string): Promise<AddressHolders> {
    const w = new AddressHolders(vip, nodes);
    for (const n of nodes) {
      const ns = lab.host(n).ns;
      const p = lab.track(new LabProcess(`addr-monitor-${n}`, ["ip", "-o", "-n", ns, "monitor", "address"], join(lab.dir, `addr-monitor-${n}.log`), { pipeStdout: true }));
      w.procs.push(p);
      const rl = createInterface({ input: p.child.stdout! });
      rl.on("line", (line) => w.onLine(n, line));
    }
    // Let the monitors subscribe before reading the current state, so no change falls between.
    await new Promise((r) => setTimeout(r, 200));
    for (const n of nodes) {
      const out = await must(["ip", "-j", "-n", lab.host(n).ns, "-4", "addr", "show"]);
      const held = (JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>).some((l) => (l.addr_info ?? []).some((a) => a.local === vip));
      if (!w.now.has(n)) w.set(n, held, Date.now());
    }
    return w;
  }

  private onLine(node: string, line: string): void {
    if (!line.includes(` inet ${this.vip}/`)) return;
    if (this.lines.length < 10_000) this.lines.push({ node, at: Date.now(), line: line.replace(/\s+/g, " ") });
    this.set(node, !line.startsWith("Deleted"), Date.now());
  }

  private set(node: string, held: boolean, at: number): void {
    if (this.now.get(node) === held) return;
    this.now.set(node, held);
    this.changes.push({ node, at, held });
  }

  holds(node: string): boolean {
    return this.now.get(node) === true;
  }

  holders(): string[] {
    return this.nodes.filter((n) => this.holds(n));
  }

  /** The first time `node`'s holding became `held` at or after `since`. */
  changedAt(node: string, held: boolean, since: number): number | undefined {
    return this.changes.find((c) => c.node === node && c.held === held && c.at >= since)?.at;
  }

  /** Polls (bounded) until `pred` holds; returns whether it did. */
  async waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      if (pred()) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return pred();
  }

  /** Periods since `since` when two or more nodes held the address. */
  overlaps(since: number, until = Date.now()): Overlap[] {
    const state = new Map<string, boolean>();
    for (const c of this.changes) if (c.at < since) state.set(c.node, c.held);
    const out: Overlap[] = [];
    let open: Overlap | null = null;
    const visit = (at: number) => {
      const nodes = this.nodes.filter((n) => state.get(n));
      if (nodes.length > 1 && !open) open = { from: at, to: at, nodes };
      else if (nodes.length > 1 && open) open.nodes = [...new Set([...open.nodes, ...nodes])];
      else if (nodes.length <= 1 && open) {
        open.to = at;
        out.push(open);
        open = null;
      }
    };
    visit(since);
    for (const c of this.changes.filter((x) => x.at >= since && x.at <= until)) {
      state.set(c.node, c.held);
      visit(c.at);
    }
    if (open) out.push({ ...(open as Overlap), to: until });
    return out;
  }

  /** The monitor lines read since `since`, one per line, times relative to it. */
  linesSince(since: number): string {
    return this.lines
      .filter((l) => l.at >= since)
      .map((l) => `+${l.at - since} ms ${l.node}: ${l.line}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop(2_000)));
  }
}

export const overlapMs = (o: readonly Overlap[]) => o.reduce((s, x) => s + (x.to - x.from), 0);
