// Status lines for node-alerts.ts: a node that could not be fenced (its groups wait, and why), and a
// peer whose packets a node rejects for a bad key (`n2: 102 packets rejected: wrong key`).
import type { ClusterView } from "@vigil/shared/events/cluster-view";
import { REJECT_REASON_TEXT } from "@vigil/shared/events/node-alerts";

export function alertLines(v: ClusterView) {
  const alive = (n: string) => v.nodes.get(n)?.alive ?? false;
  const fenceFailures = Object.values(v.alerts.fenceFailures)
    .filter((f) => !alive(f.victim))
    .sort((a, b) => a.victim.localeCompare(b.victim))
    .map((f) => ({ victim: f.victim, by: f.by, rc: f.rc, message: f.message, attempt: f.attempt, gaveUp: f.nextAttemptMs === null, nextAttemptMs: f.nextAttemptMs, seq: f.seq, time: f.time }));
  const rejections = Object.values(v.alerts.rejections)
    .sort((a, b) => a.peer.localeCompare(b.peer) || a.by.localeCompare(b.by))
    .map((r) => ({ peer: r.peer, by: r.by, reason: r.reason, text: REJECT_REASON_TEXT[r.reason], count: r.count, since: r.since }));
  const warnings = [
    ...fenceFailures.map((f) => ({
      type: "FenceFailed",
      node: f.victim,
      text:
        `${f.victim} could not be fenced: ${f.by}'s fence agent failed (exit ${f.rc}: ${f.message})${f.attempt ? ` at attempt ${f.attempt}` : ""}; ` +
        `${f.gaveUp ? `${f.by} gave up retrying` : `${f.by} retries`}, and the groups ${f.victim} held stay stopped until it is fenced; once it is known down: vigil node confirm-fenced ${f.victim}`,
    })),
    ...rejections.map((r) => ({
      type: "PeerRejected",
      node: r.peer,
      text: `${r.peer}: ${r.count} packets rejected: ${r.text} (by ${r.by}, since ${r.since}; do the nodes' authkeys differ?)`,
    })),
  ];
  return { fenceFailures, rejections, warnings };
}
