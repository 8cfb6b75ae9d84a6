// The placement policy: (config, membership, state folded from the log) → where every group should run,
// with the reason in operator words. Pure and deterministic: every node that sees the same input
// decides the same placement, and the simulator can replay it.
//
// Rules, strongest first (heartbeat's haresources semantics, plus crm's move and failcount):
//  1. Without quorum a node places nothing: every group → null ("no quorum").
//  2. A group whose current node is unclean (dead but not known stopped) is placed nowhere until the
//     node is fenced or its lease has run out and membership calls it offline; starting it elsewhere
//     sooner could give it two owners (Invariant 1).
//  3. Only online nodes run groups; a node where one of the group's resources reached its migration
//     threshold is ineligible for that group until cleanup.
//  4. An operator move (crm's cli-prefer) wins while its target is eligible; otherwise it is noted in
//     the reason and the normal rules apply.
//  5. The preferred node (first field of the haresources line) runs the group when it is eligible and
//     the group runs nowhere or on an ineligible node. If the group runs on another eligible node:
//     auto_failback off leaves it there; on moves it back once the preferred node has been online
//     for failbackStableMs (so a flapping node does not drag the group to and fro).
//     `legacy` is heartbeat's behaviour from before auto_failback existed (nice_failback off): a node
//     always takes back its own groups, i.e. `on`. Heartbeat kept it only for rolling upgrades from
//     nodes that did not know auto_failback; every Vigil node reads the same ha.cf, so legacy behaves
//     exactly as `on` here (stability delay included).
//  6. Otherwise a group stays on its current node while that node is eligible (no reshuffling among
//     non-preferred nodes), and a group that must move goes to the node chosen by choose-node.ts,
//     counting the groups that stay and those placed before it (of a node gone from the membership,
//     only its own: see below).
import { chooseFailoverNode } from "./choose-node.js";
import { whyIneligible } from "./eligibility.js";
import type { PlacementGroup, PlacementInput, PlacementNode, PlacementResult } from "./placement-input.js";

type Decision =
  | { kind: "fixed"; node: string | null; reason: string }
  /** Must go to a node chosen by load; `why` says why neither the preferred nor current node will do. */
  | { kind: "choose"; why: string };

export function decidePlacement(input: PlacementInput): PlacementResult {
  const placement: Record<string, string | null> = {};
  const reasons: Record<string, string> = {};
  if (!input.quorum.hasQuorum) {
    for (const g of input.groups) {
      placement[g.id] = null;
      reasons[g.id] = "no quorum";
    }
    return { placement, reasons };
  }

  const nodes = new Map(input.nodes.map((n) => [n.name, n]));
  const nodeOrder = input.nodes.map((n) => n.name);

  // Pass 1: groups whose node follows from the rules alone. Pass 2 (below) places the rest by load.
  const pending: { group: PlacementGroup; why: string; note: string }[] = [];
  for (const group of input.groups) {
    const { decision, note } = decideGroup(input, nodes, group);
    if (decision.kind === "fixed") {
      placement[group.id] = decision.node;
      reasons[group.id] = note + decision.reason;
    } else {
      pending.push({ group, why: decision.why, note });
    }
  }

  // Load is what runs where now (every node reads the same heartbeats), not where pass 1 sends it:
  // a failback's stability delay ends at slightly different moments on different nodes, and counting
  // its target made n2 and n4 each the least loaded in its own eyes for g1 (sim seed 828, 5 nodes).
  const settled = new Map<string, number>();
  for (const g of input.groups) {
    const node = input.current[g.id];
    if (node) settled.set(node, (settled.get(node) ?? 0) + 1);
  }

  // A group chosen here adds to the load of the groups placed after it, except when it leaves a node
  // that left the membership: then only for the groups leaving that node with it. Nodes see a node
  // die a few ms apart, so on some the wait for a dead node is over and on others not yet; counting
  // its groups' choices for the others made n3 take g2 (only n2's wait over) while n4, with n1's
  // over too, gave g1 to n3 and so g2 to itself: two holders (sim seed 176, 7 nodes).
  const chosen = new Map<string, Map<string, number>>();
  for (const { group, why, note } of pending) {
    const from = input.current[group.id] ?? group.preferredNode;
    const gone = nodes.get(from)?.state;
    const scope = gone === "offline" || gone === "unclean" ? from : "";
    const extra = chosen.get(scope) ?? new Map<string, number>();
    chosen.set(scope, extra);
    const everyone = chosen.get("");
    const load = new Map(nodeOrder.map((n) => [n, (settled.get(n) ?? 0) + (everyone?.get(n) ?? 0) + (scope ? (extra.get(n) ?? 0) : 0)]));
    const eligible = (n: string) => whyIneligible(input, nodes, group, n) === null;
    const node = chooseFailoverNode(nodeOrder, group.preferredNode, eligible, load);
    placement[group.id] = node;
    if (node === null) {
      const bars = nodeOrder.map((n) => whyIneligible(input, nodes, group, n)).join(", ");
      reasons[group.id] = `${note}no eligible node: ${bars}`;
    } else {
      extra.set(node, (extra.get(node) ?? 0) + 1);
      reasons[group.id] = `${note}${why}: failover to ${node}`;
    }
  }
  return { placement, reasons };
}

/** The decision for one group, and a note (ending in "; ") about an operator move that cannot be honoured. */
function decideGroup(
  input: PlacementInput,
  nodes: ReadonlyMap<string, PlacementNode>,
  group: PlacementGroup,
): { decision: Decision; note: string } {
  const bar = (n: string) => whyIneligible(input, nodes, group, n);
  const current = input.current[group.id] ?? null;

  if (current !== null && nodes.get(current)?.state === "unclean") {
    const reason = `${current} unclean: ${group.id} may still run there: waiting until it is fenced or seen stopped (vigil node confirm-fenced ${current} once it is known down)`;
    return { decision: { kind: "fixed", node: null, reason }, note: "" };
  }

  let note = "";
  const target = input.moves[group.id];
  if (target !== undefined) {
    const moveBar = bar(target);
    if (moveBar === null) return { decision: { kind: "fixed", node: target, reason: `moved to ${target} by operator` }, note };
    note = `move to ${target} not possible (${moveBar}); `;
  }
  return { decision: byPreference(input, nodes, group, current, bar), note };
}

function byPreference(
  input: PlacementInput,
  nodes: ReadonlyMap<string, PlacementNode>,
  group: PlacementGroup,
  current: string | null,
  bar: (n: string) => string | null,
): Decision {
  const preferred = group.preferredNode;
  const preferredBar = bar(preferred);
  const currentBar = current === null ? null : bar(current);
  const fixed = (node: string | null, reason: string): Decision => ({ kind: "fixed", node, reason });

  if (preferredBar === null) {
    if (current === null || current === preferred) return fixed(preferred, `preferred node ${preferred}`);
    if (currentBar !== null) return fixed(preferred, `${currentBar}: failover to ${preferred} (preferred node)`);
    if (input.autoFailback === "off") return fixed(current, `auto_failback off: stays on ${current}`);
    const upSince = nodes.get(preferred)?.upSince;
    const upFor = upSince === undefined ? Infinity : input.now - upSince;
    if (upFor < input.failbackStableMs) {
      // The reason names when, not how long: it stays the same from one decision to the next, so a
      // node records it once (and whole milliseconds: clocks here are fractional).
      const since = new Date(Math.round(upSince!)).toISOString();
      return fixed(current, `preferred node ${preferred} online since ${since}, failback after ${Math.round(input.failbackStableMs)} ms: stays on ${current}`);
    }
    return fixed(preferred, `failback to preferred node ${preferred}`);
  }

  if (current !== null && current !== preferred && currentBar === null) {
    return fixed(current, `${preferredBar}: stays on ${current}`);
  }
  const why = current === null || current === preferred ? preferredBar : `${preferredBar}; ${currentBar}`;
  return { kind: "choose", why };
}
