// The shape of a golden node case (test/node/cases/*.yaml): one node's cluster, a short history of
// what it hears and reads, and the effects expected of it (README.md). Every key is checked: a typo
// is an error naming the file and the field, never a case that silently tests less.
import { z } from "zod";
import { TIMING_PROFILES, type TimingProfileName } from "@vigil/shared/config/timing-profiles";
import { VigilEvent } from "@vigil/shared/events/vocabulary";
import { PEER_LIVENESS } from "@vigil/shared/states";
import { loadYamlCases, yamlCaseParser } from "../policy/load-cases.js";

const NodeName = z.string().min(1);
const GroupId = z.string().min(1);
const Ms = z.number().nonnegative();

/** A peer's report, by the production NodeReport's field names (shared/src/heartbeat/node-report.ts). */
const Report = z.strictObject({
  running: z.array(GroupId).default([]),
  blocked: z.array(GroupId).default([]),
  probing: z.array(GroupId).default([]),
  fenced: z.array(z.strictObject({ node: NodeName, generation: z.number().int().nullable() })).default([]),
  /** Required: whom the peer hears within warntime (null: an agent from before mutual quorum). */
  vouchesFor: z.array(NodeName).nullable(),
  /** Default: the same as vouchesFor. */
  hears: z.array(NodeName).optional(),
  peersRunning: z.record(NodeName, z.array(GroupId)).default({}),
  noQuorum: z.boolean().default(false),
});

/** What this node sends, matched field by field (only the fields given). */
const SentReport = z.strictObject({
  running: z.array(GroupId).optional(),
  blocked: z.array(GroupId).optional(),
  probing: z.array(GroupId).optional(),
  vouchesFor: z.array(NodeName).optional(),
  hears: z.array(NodeName).optional(),
  peersRunning: z.record(NodeName, z.array(GroupId)).optional(),
  noQuorum: z.boolean().optional(),
  fenced: z.array(NodeName).optional(),
});

/** One resource action's scripted answer. */
const Answer = z.strictObject({ ms: Ms.optional(), rc: z.number().int().optional(), hang: z.literal(true).optional() });
const Answers = z.union([Answer, z.array(Answer).min(1)]);

const Timing = z.union([
  z.enum(Object.keys(TIMING_PROFILES) as [TimingProfileName, ...TimingProfileName[]]),
  z.strictObject({ keepaliveMs: Ms, warntimeMs: Ms, deadtimeMs: Ms, initdeadMs: Ms }),
]);

const Cluster = z.strictObject({
  /** ha.cf `node` lines, in order. */
  nodes: z.array(NodeName).min(2),
  /** The node whose agent runs (from 0 ms); the others exist only as the packets the history gives. */
  self: NodeName,
  timing: Timing.default("fast"),
  auto_failback: z.enum(["on", "off", "legacy"]).default("on"),
  /** haresources, in order; resources default to one IPaddr address. */
  groups: z.record(GroupId, z.strictObject({ preferred: NodeName, resources: z.array(z.string().min(1)).min(1).optional() })),
  /** A fence agent is configured: how long it takes and whether it succeeds (absent: no fencing). */
  fence: z.strictObject({ ms: Ms.default(50), ok: z.boolean().default(true) }).optional(),
  require_fencing: z.boolean().default(false),
  /** Two-node clusters: a ping node is configured, and whether it answers at the start. */
  witness: z.boolean().optional(),
});

/** One input, or one input repeated every `every` ms from `at` while before `until`. */
const HistoryItem = z
  .strictObject({
    at: Ms,
    every: z.number().positive().optional(),
    until: Ms.optional(),
    /** A heartbeat of this peer reaches this node. */
    hear: NodeName.optional(),
    /** What it reports (null: no report yet, as a restarted agent's first packets). */
    report: Report.nullable().optional(),
    /** How long before sending it last heard this node (its `a` entry); null: not at all. Default 0. */
    heardUsAgoMs: Ms.nullable().optional(),
    /** Instead of heardUsAgoMs: when it last heard this node (heardUsAgoMs = at − heardUsAt). */
    heardUsAt: Ms.optional(),
    generation: z.number().int().positive().default(1),
    /** An event this node's log follower reads (folded, then given to the controller). `by`: the
     *  recording node (default "cli", as an operator command). */
    event: z.looseObject({ type: z.string(), by: NodeName.optional() }).optional(),
    /** The ping witness starts or stops answering. */
    witness: z.boolean().optional(),
  })
  .superRefine((h, ctx) => {
    const kinds = (["hear", "event", "witness"] as const).filter((k) => h[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: "custom", message: `one of hear, event, witness (found ${kinds.join(", ") || "none"})` });
    if (h.hear !== undefined && h.report === undefined) ctx.addIssue({ code: "custom", path: ["report"], message: "a heard packet needs its report (null: none yet)" });
    if (h.hear === undefined && (h.report !== undefined || h.heardUsAgoMs !== undefined || h.heardUsAt !== undefined))
      ctx.addIssue({ code: "custom", message: "report and heardUsAgoMs/heardUsAt belong to a hear item" });
    if (h.heardUsAgoMs !== undefined && h.heardUsAt !== undefined) ctx.addIssue({ code: "custom", path: ["heardUsAt"], message: "give heardUsAgoMs or heardUsAt, not both" });
    if ((h.every === undefined) !== (h.until === undefined)) ctx.addIssue({ code: "custom", path: ["every"], message: "every and until go together" });
    if (h.event) {
      const { type, by: _by, ...body } = h.event;
      const e = VigilEvent.safeParse({ ...body, type, v: 1, id: "x", node: "cli", time: new Date(0).toISOString(), cause: "" });
      if (!e.success) ctx.addIssue({ code: "custom", path: ["event"], message: `not a valid ${type} event: ${e.error.issues.map((i) => `${i.path.join(".") || "type"}: ${i.message}`).join("; ")}` });
    }
  });

/** The effects, one per expect/never item: the same words as the runner's trace. */
const EFFECTS = ["sees", "quorum", "start", "stop", "started", "stopped", "blocked", "fence", "record", "send", "logs"] as const;
export type EffectKind = (typeof EFFECTS)[number];

const EffectFields = {
  /** This node's detector: `{ n2: dead }`. */
  sees: z.record(NodeName, z.enum(PEER_LIVENESS)).optional(),
  /** Its quorum changed (the rule its decisions use). */
  quorum: z.enum(["has", "lost"]).optional(),
  /** The controller told a group machine to start / stop. */
  start: GroupId.optional(),
  stop: GroupId.optional(),
  /** The group machine got there (its resources answered). */
  started: GroupId.optional(),
  stopped: GroupId.optional(),
  blocked: GroupId.optional(),
  /** The fence agent was run against this node. */
  fence: NodeName.optional(),
  /** An event this node wrote to the log: its type, or its type and some of its fields. */
  record: z.union([z.string(), z.looseObject({ type: z.string() })]).optional(),
  /** A heartbeat this node sent whose report changed, matched on the fields given. */
  send: SentReport.optional(),
  /** A line of the agent's log containing this text. */
  logs: z.string().optional(),
};

const Expectation = z
  .strictObject({
    /** Exactly at. */
    at: Ms.optional(),
    /** At or before. */
    by: Ms.optional(),
    /** Strictly after. */
    after: Ms.optional(),
    ...EffectFields,
  })
  .superRefine((x, ctx) => {
    const kinds = EFFECTS.filter((k) => x[k] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: "custom", message: `one effect of ${EFFECTS.join(", ")} (found ${kinds.join(", ") || "none"})` });
    if (x.at !== undefined && (x.by !== undefined || x.after !== undefined)) ctx.addIssue({ code: "custom", path: ["at"], message: "at is exact: no by or after beside it" });
    if (x.sees && Object.keys(x.sees).length !== 1) ctx.addIssue({ code: "custom", path: ["sees"], message: "one peer per item" });
  });
export type Expectation = z.infer<typeof Expectation>;

export const NodeCase = z
  .strictObject({
    /** The rule, in an operator's words, and why these times. */
    description: z.string().min(1),
    cluster: Cluster,
    /** Resource answers per group (every resource of the group; a list: one per call, the last repeats).
     *  Default: start 10 ms, stop 10 ms, monitor 1 ms, all succeed. */
    resources: z.record(GroupId, z.strictObject({ start: Answers.optional(), stop: Answers.optional(), monitor: Answers.optional() })).default({}),
    history: z.array(HistoryItem).default([]),
    /** Each must happen (in any order; only the effects named are checked). */
    expect: z.array(Expectation).min(1),
    /** Each must not happen (within its after/by window, if given). */
    never: z.array(Expectation).default([]),
    /** The run ends here (ms). */
    until: Ms,
  })
  .superRefine((c, ctx) => {
    const nodes = new Set(c.cluster.nodes);
    const groups = new Set(Object.keys(c.cluster.groups));
    const node = (n: string, path: (string | number)[]) => !nodes.has(n) && ctx.addIssue({ code: "custom", path, message: `${n} is not a node of cluster.nodes` });
    const group = (g: string, path: (string | number)[]) => !groups.has(g) && ctx.addIssue({ code: "custom", path, message: `${g} is not a group of cluster.groups` });
    node(c.cluster.self, ["cluster", "self"]);
    for (const [g, spec] of Object.entries(c.cluster.groups)) node(spec.preferred, ["cluster", "groups", g, "preferred"]);
    for (const g of Object.keys(c.resources)) group(g, ["resources", g]);
    if (c.cluster.witness !== undefined && c.cluster.nodes.length !== 2) ctx.addIssue({ code: "custom", path: ["cluster", "witness"], message: "a witness counts only in two-node clusters" });
    c.history.forEach((h, i) => {
      if (h.hear !== undefined) {
        node(h.hear, ["history", i, "hear"]);
        if (h.hear === c.cluster.self) ctx.addIssue({ code: "custom", path: ["history", i, "hear"], message: "this node does not hear itself" });
      }
      if (h.witness !== undefined && c.cluster.witness === undefined) ctx.addIssue({ code: "custom", path: ["history", i, "witness"], message: "no witness in cluster" });
    });
    (["expect", "never"] as const).forEach((list) =>
      c[list].forEach((x, i) => {
        for (const k of ["start", "stop", "started", "stopped", "blocked"] as const) if (x[k] !== undefined) group(x[k]!, [list, i, k]);
        if (x.fence !== undefined) node(x.fence, [list, i, "fence"]);
        for (const n of Object.keys(x.sees ?? {})) node(n, [list, i, "sees"]);
      }),
    );
  });
export type NodeCase = z.infer<typeof NodeCase>;
export type HistoryItem = NodeCase["history"][number];

export interface LoadedCase {
  file: string;
  case: NodeCase;
}

export const parseNodeCase: (file: string, text: string) => NodeCase = yamlCaseParser(NodeCase, "node case");

export const loadNodeCases = (dir: string): LoadedCase[] => loadYamlCases(dir, parseNodeCase);
