// What a node says about itself in every heartbeat (its report), and the one place that knows how
// the report is written on the wire. The wire keeps short keys, so that packets stay small and the
// agents already deployed are understood as they are (there is no version inside the payload: the
// packet's version byte covers the frame, and every field added since the first release is optional).
// Everything else reads the named fields: a report is decoded once, where a packet is admitted
// (admit.ts), and a report that does not decode drops its packet as `malformed`.
import { z } from "zod";

/** A node this node has fenced, with the victim's generation at the time (null: not known), so its
 *  peers need not wait for the log to learn it. */
export interface FencedNode {
  node: string;
  generation: number | null;
}

export interface NodeReport {
  /** Groups held here (starting, started, stopping). */
  running: string[];
  /** Groups blocked here (a stop failed): this node must be fenced before they run elsewhere. */
  blocked: string[];
  /** Groups this node cannot yet say it does not hold: its agent has just started and their probe has
   *  not answered (a kill -9 of an agent leaves its addresses and mounts in place). No peer starts them
   *  meanwhile (the agent's start-agreement.ts). */
  probing: string[];
  /** Nodes this node has fenced. */
  fenced: FencedNode[];
  /** Peers this node hears within warntime (up): it vouches for them, so quorum counts only peers
   *  that hear each other. Not late ones: vouching for a node until the moment it is called dead would
   *  leave that node no time to stop. Null: an agent from before mutual quorum, which does not say. */
  vouchesFor: string[] | null;
  /** Peers this node still hears at all (up or late): so a node cut off from one peer only does not
   *  take that peer for dead. */
  hears: string[];
  /** What each peer of `hears` holds by its own last report. */
  peersRunning: Record<string, string[]>;
  /** This node has no quorum: it starts nothing (its peers place nothing on it while it holds nothing). */
  noQuorum: boolean;
  /** The log seq of the placement inputs this node has folded (ClusterView.inputsSeq), and the highest
   *  such seq it has heard of (its own and its peers'): while the two differ it knows its fold is out of
   *  date and starts nothing (the agent's start-agreement.ts). Null: an agent from before, which does not say. */
  inputsSeq: number | null;
  heardInputsSeq: number | null;
  /** Where this node places each group no node holds (group → node): a start waits until every peer
   *  able to start the group places it on the same node (the agent's start-agreement.ts). Null: it
   *  places nothing now (no quorum, or still waiting for initdead), or is an agent that does not say. */
  choices: Record<string, string> | null;
}

/** The wire form. Keys: r running, b blocked, p probing, f fenced ({ n node, g generation }), u vouchesFor,
 *  h hears, v peersRunning, nq noQuorum, is inputsSeq, ih heardInputsSeq, c choices. Unknown keys (a newer agent's) are ignored. */
const WireReport = z.object({
  r: z.array(z.string()),
  b: z.array(z.string()),
  p: z.array(z.string()).optional(),
  f: z.array(z.object({ n: z.string(), g: z.number().int().nullable() })).optional(),
  u: z.array(z.string()).optional(),
  h: z.array(z.string()).optional(),
  v: z.record(z.string(), z.array(z.string())).optional(),
  nq: z.boolean().optional(),
  is: z.number().int().nonnegative().optional(),
  ih: z.number().int().nonnegative().optional(),
  c: z.record(z.string(), z.string()).optional(),
});
export type WireReport = z.infer<typeof WireReport>;

/** A report with what is not given empty: for a node that says nothing more. */
export const nodeReport = (r: Partial<NodeReport> = {}): NodeReport => ({
  running: [],
  blocked: [],
  probing: [],
  fenced: [],
  vouchesFor: null,
  hears: [],
  peersRunning: {},
  noQuorum: false,
  inputsSeq: null,
  heardInputsSeq: null,
  choices: null,
  ...r,
});

/** A peer's report as its packet carries it. `null` is no report yet (an agent sends none until its
 *  groups are known, and probes carry none): valid, and says nothing. */
export function decodeNodeReport(x: unknown): { ok: true; report: NodeReport | null } | { ok: false } {
  if (x === null) return { ok: true, report: null };
  const w = WireReport.safeParse(x);
  if (!w.success) return { ok: false };
  const { r, b, p, f, u, h, v, nq, is, ih, c } = w.data;
  return {
    ok: true,
    report: {
      running: r,
      blocked: b,
      probing: p ?? [],
      fenced: (f ?? []).map((e) => ({ node: e.n, generation: e.g })),
      vouchesFor: u ?? null,
      hears: h ?? [],
      peersRunning: v ?? {},
      noQuorum: nq === true,
      inputsSeq: is ?? null,
      heardInputsSeq: ih ?? is ?? null,
      choices: c ?? null,
    },
  };
}

/** The wire form of a report: `p`, `f` and `nq` only when they say something (most packets carry neither),
 *  `ih` only when it differs from `is`. */
export function encodeNodeReport(r: NodeReport): WireReport {
  return {
    r: r.running,
    b: r.blocked,
    ...(r.probing.length ? { p: r.probing } : {}),
    ...(r.vouchesFor !== null ? { u: r.vouchesFor } : {}),
    h: r.hears,
    v: r.peersRunning,
    ...(r.fenced.length ? { f: r.fenced.map((e) => ({ n: e.node, g: e.generation })) } : {}),
    ...(r.noQuorum ? { nq: true } : {}),
    ...(r.inputsSeq !== null ? { is: r.inputsSeq } : {}),
    ...(r.heardInputsSeq !== null && r.heardInputsSeq !== r.inputsSeq ? { ih: r.heardInputsSeq } : {}),
    ...(r.choices !== null ? { c: r.choices } : {}),
  };
}
