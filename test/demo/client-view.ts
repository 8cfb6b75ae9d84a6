// What a user in front of the floating IP saw during one demo step: who answered before, who answers
// after, and the outage — the longest time between two successful answers (a new TCP connection per
// request, so a request in flight when the address moved fails or hangs and counts as a gap).
import type { Answer } from "../lab/http-probe.js";

export interface ClientView {
  /** The node that gave the last answer before the step began (undefined: none yet). */
  before: string | undefined;
  /** The node that gave the last answer in the window (undefined: no answer at all). */
  after: string | undefined;
  /** Longest gap between successful answers, from the last one before `from` up to `to`. */
  outageMs: number;
  /** Answers inside the window, and from how many distinct nodes (2+ during a move is normal). */
  answers: number;
  nodes: string[];
}

/** Pure: the client's view of [from, to] given every answer so far, oldest first. */
export function clientView(answers: readonly Answer[], from: number, to: number): ClientView {
  const prior = answers.filter((a) => a.at < from).at(-1);
  const inside = answers.filter((a) => a.at >= from && a.at <= to);
  let prev = prior?.at ?? from;
  let gap = 0;
  for (const a of inside) {
    gap = Math.max(gap, a.at - prev);
    prev = Math.max(prev, a.at);
  }
  gap = Math.max(gap, to - prev);
  return {
    before: prior?.node,
    after: inside.at(-1)?.node,
    outageMs: gap,
    answers: inside.length,
    nodes: [...new Set(inside.map((a) => a.node))],
  };
}

/** One line for the demo: `client: n1 → n2, outage 412 ms (1873 answers, 31 failed requests)`. */
export function describeView(v: ClientView, failed: number): string {
  const from = v.before ?? "nothing";
  const to = v.after ?? "nothing";
  const moved = from === to ? `still ${to}` : `${from} → ${to}`;
  return `client's view: ${moved}, outage ${Math.round(v.outageMs)} ms (longest gap between answers; ${v.answers} answers, ${failed} failed requests)`;
}
