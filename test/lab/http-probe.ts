// The user's view of a floating IP: a client in its own namespace fetching a page every few
// milliseconds, each over a new TCP connection, and recording who answered. The outage a user sees
// is the longest gap between two successful answers. Every node runs a tiny HTTP server that
// answers with its own name, so an answer also says where the address lives.
import { createInterface } from "node:readline";
import { LabProcess } from "./lab-process.js";
import { inNs } from "./sh.js";

// Runs inside a node namespace: answers every request with the node's name, one connection per request.
const SERVER = `
const http = require("node:http");
const [name, port] = process.argv.slice(1);
const s = http.createServer((req, res) => { res.setHeader("connection", "close"); res.end(name); });
s.keepAliveTimeout = 0;
s.listen(Number(port), "0.0.0.0", () => console.log("ready"));
`;

// Runs inside the client namespace. Starts a request every intervalMs (at most maxInFlight at once,
// each with its own timeout), prints `s <ms> <node>` per answer and `f <ms>` per failure; stops after
// maxMs or maxCount, or on SIGTERM. Times are wall-clock ms, comparable with Date.now().
const PROBE = `
const http = require("node:http");
const [url, intervalMs, timeoutMs, maxInFlight, maxMs, maxCount] = process.argv.slice(1).map((x, i) => i === 0 ? x : Number(x));
const now = () => performance.timeOrigin + performance.now();
const t0 = now();
let sent = 0, inFlight = 0, stopping = false;
const out = [];
const flush = () => { if (out.length) { process.stdout.write(out.join("\\n") + "\\n"); out.length = 0; } };
const flushTimer = setInterval(flush, 20);
function one() {
  inFlight++;
  let done = false;
  const finish = (line) => { if (done) return; done = true; inFlight--; out.push(line); };
  const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (c) => (body += c));
    res.on("end", () => finish(res.statusCode === 200 ? "s " + now().toFixed(1) + " " + body.trim() : "f " + now().toFixed(1)));
    res.on("error", () => finish("f " + now().toFixed(1)));
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => finish("f " + now().toFixed(1)));
}
const tick = setInterval(() => {
  if (stopping || sent >= maxCount || now() - t0 > maxMs) return stop();
  if (inFlight < maxInFlight) { sent++; one(); }
}, intervalMs);
function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  setTimeout(() => { flush(); clearInterval(flushTimer); process.exit(0); }, timeoutMs + 50);
}
process.on("SIGTERM", stop);
`;

export interface Answer {
  /** Wall-clock ms (Date.now() scale) when the answer arrived. */
  at: number;
  node: string;
}

export interface ProbeOptions {
  intervalMs?: number;
  timeoutMs?: number;
  maxInFlight?: number;
  /** Hard bounds: the probe stops by itself after this long or this many requests. */
  maxMs?: number;
  maxCount?: number;
}

/** Starts `name`'s HTTP server in `ns` and waits until it listens. */
export async function startNodeServer(ns: string, name: string, logFile: string, port = 80): Promise<LabProcess> {
  const proc = new LabProcess(`http-${name}`, inNs(ns, [process.execPath, "-e", SERVER, name, String(port)]), logFile, { pipeStdout: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab: http server ${name} not listening within 10 s:\n${proc.logTail(10)}`)), 10_000);
    createInterface({ input: proc.child.stdout! }).once("line", () => (clearTimeout(timer), resolve()));
    void proc.exited.then((x) => (clearTimeout(timer), reject(new Error(`lab: http server ${name} exited (${x.code ?? x.signal}):\n${proc.logTail(10)}`))));
  });
  return proc;
}

type Waiter = { pred: (a: Answer) => boolean; resolve: (a: Answer) => void };

export class HttpProbe {
  readonly proc: LabProcess;
  private readonly answers: Answer[] = [];
  private failures = 0;
  private readonly waiters = new Set<Waiter>();

  constructor(ns: string, url: string, logFile: string, opts: ProbeOptions = {}) {
    const o = { intervalMs: 5, timeoutMs: 200, maxInFlight: 128, maxMs: 10 * 60_000, maxCount: 500_000, ...opts };
    // Requests to a dead owner hang until their timeout; if they could fill every slot, no request
    // would go out until the first ones time out, and the outage measured would be the timeout.
    if (o.timeoutMs / o.intervalMs >= o.maxInFlight) {
      throw new Error(`lab: http probe would saturate: ${o.timeoutMs} ms timeout / ${o.intervalMs} ms interval ≥ ${o.maxInFlight} in flight`);
    }
    const argv = [process.execPath, "-e", PROBE, url, ...[o.intervalMs, o.timeoutMs, o.maxInFlight, o.maxMs, o.maxCount].map(String)];
    this.proc = new LabProcess("http-probe", inNs(ns, argv), logFile, { pipeStdout: true });
    createInterface({ input: this.proc.child.stdout! }).on("line", (l) => this.onLine(l));
  }

  private onLine(line: string): void {
    const [kind, t, node] = line.split(" ");
    if (kind === "f") this.failures++;
    if (kind !== "s" || !t || !node) return;
    const a = { at: Number(t), node };
    this.answers.push(a);
    for (const w of [...this.waiters]) if (w.pred(a)) (this.waiters.delete(w), w.resolve(a));
  }

  get failureCount(): number {
    return this.failures;
  }

  /** The last answer received, if any. */
  last(): Answer | undefined {
    return this.answers.at(-1);
  }

  answersSince(t: number): Answer[] {
    return this.answers.filter((a) => a.at >= t);
  }

  /** The first answer from `node` arriving at or after `since` (default: now). Rejects after `timeoutMs`. */
  waitForAnswerFrom(node: string, timeoutMs: number, since = Date.now()): Promise<Answer> {
    const pred = (a: Answer) => a.node === node && a.at >= since;
    const hit = this.answers.find(pred);
    if (hit) return Promise.resolve(hit);
    if (!this.proc.alive) return Promise.reject(new Error("lab: http probe is not running"));
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred, resolve: (a) => (clearTimeout(timer), resolve(a)) };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const recent = this.answers.slice(-3).map((a) => `${a.node}@${Math.round(a.at - since)}ms`);
        reject(new Error(`lab: no answer from ${node} within ${timeoutMs} ms (last answers: ${recent.join(", ") || "none"}; ${this.failures} failures)`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /**
   * Waits until `node` has answered every request for `stableMs` in a row (no other node, no gap
   * longer than `maxGapMs`): the group has settled there. Bounded by `timeoutMs`.
   */
  async waitSettledOn(node: string, stableMs: number, timeoutMs: number, maxGapMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      const since = Date.now() - stableMs;
      const recent = this.answersSince(since);
      const steady = recent.length > 0 && recent.every((a) => a.node === node) && longestGap(recent.map((a) => a.at), since, Date.now()) <= maxGapMs;
      if (steady) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const recent = this.answersSince(Date.now() - stableMs).map((a) => a.node);
    throw new Error(`lab: the VIP did not settle on ${node} within ${timeoutMs} ms (recent answers from: ${[...new Set(recent)].join(", ") || "none"})`);
  }

  /**
   * The outage a user saw in [from, to]: the longest time between two successful answers, counting
   * from the last answer before `from` and up to `to` (or the last answer, when `to` is omitted).
   */
  outage(from: number, to?: number): number {
    const before = this.answers.filter((a) => a.at < from).at(-1)?.at ?? from;
    const inside = this.answers.filter((a) => a.at >= from && (to === undefined || a.at <= to)).map((a) => a.at);
    return longestGap([before, ...inside], before, to ?? inside.at(-1) ?? before);
  }

  stop(): Promise<unknown> {
    return this.proc.stop(3_000);
  }
}

/** Longest gap between consecutive times, including from `start` to the first and from the last to `end`. */
export function longestGap(times: readonly number[], start: number, end: number): number {
  let prev = start;
  let gap = 0;
  for (const t of times) {
    gap = Math.max(gap, t - prev);
    prev = Math.max(prev, t);
  }
  return Math.max(gap, end - prev);
}
