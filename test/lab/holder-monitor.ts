// Who holds an address, in every node's namespace, for the whole of a trial: one long-lived
// `ip -ts -o monitor address` per namespace reports each add and delete as the kernel makes it, so
// the record is exact (not a 10 ms sample) and costs no CPU while nothing changes — no `ip` spawn
// per sample. The state at the start comes from one `ip -j addr` per namespace.
import { join } from "node:path";
import { createInterface } from "node:readline";
import { LabProcess } from "./lab-process.js";
import { must } from "./sh.js";

export interface HolderChange {
  node: string;
  /** Wall-clock ms (Date.now() scale), as `ip -ts` stamped it. */
  at: number;
  held: boolean;
}

/** `[2026-12-01T10:08:50.456964] Deleted 3: eth0    inet 198.51.100.50/24 …` (ip runs with TZ=UTC). */
export function parseMonitorLine(line: string, addr: string): { at: number; held: boolean } | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\]\s+(Deleted\s+)?\d+:\s+\S+\s+inet\s+([\d.]+)\//.exec(line);
  if (!m || m[3] !== addr) return undefined;
  const at = Date.parse(`${m[1]}Z`);
  return Number.isFinite(at) ? { at, held: !m[2] } : undefined;
}

export class HolderMonitor {
  private readonly procs = new Map<string, LabProcess>();
  private readonly current = new Map<string, boolean>();
  /** Every change seen, in arrival order (initial states first, stamped when read). */
  readonly changes: HolderChange[] = [];
  /** Lines of `ip monitor` that were not about `addr` or could not be read (kept for diagnosis). */
  unparsed = 0;

  constructor(
    private readonly hosts: ReadonlyArray<{ node: string; ns: string }>,
    private readonly addr: string,
    private readonly logDir: string,
  ) {}

  /** Starts the monitors, then reads each namespace's state once. `track` hands each process to the lab. */
  async start(track: (p: LabProcess) => void): Promise<void> {
    for (const { node, ns } of this.hosts) {
      const p = new LabProcess(`ip-monitor-${node}`, ["ip", "-ts", "-o", "-n", ns, "monitor", "address"], join(this.logDir, `ip-monitor-${node}.log`), {
        pipeStdout: true,
        env: { ...process.env, TZ: "UTC" },
      });
      track(p);
      this.procs.set(node, p);
      createInterface({ input: p.child.stdout! }).on("line", (l) => {
        const c = parseMonitorLine(l, this.addr);
        if (!c) {
          if (!/ inet6? /.test(l)) this.unparsed++;
          return;
        }
        this.record(node, c.at, c.held);
      });
    }
    // ip has subscribed once it is running; a change in this short gap would be missed, so the
    // initial read comes after it (trials start from a settled cluster).
    await new Promise((r) => setTimeout(r, 300));
    for (const { node, ns } of this.hosts) {
      const at = Date.now();
      const out = await must(["ip", "-j", "-n", ns, "addr", "show"]);
      const links = JSON.parse(out) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
      const held = links.some((l) => (l.addr_info ?? []).some((a) => a.family === "inet" && a.local === this.addr));
      if (!this.current.has(node)) this.record(node, at, held);
    }
    for (const [node, p] of this.procs) if (!p.alive) throw new Error(`lab: ip monitor for ${node} exited:\n${p.logTail(5)}`);
  }

  /** Nodes holding the address now (as far as the monitors have reported). */
  holders(): string[] {
    return [...this.current.entries()].filter(([, h]) => h).map(([n]) => n).sort();
  }

  /** Every monitor still running (one that died would leave the record blind). */
  alive(): boolean {
    return [...this.procs.values()].every((p) => p.alive);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop(2_000)));
  }

  private record(node: string, at: number, held: boolean): void {
    if (this.current.get(node) === held) return; // a renewal (`ip addr change`) or a repeat
    this.current.set(node, held);
    this.changes.push({ node, at, held });
  }
}
