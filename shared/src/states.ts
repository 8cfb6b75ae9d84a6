// The state unions, each defined once: the log's schemas (events/vocabulary.ts), the fold
// (events/cluster-view.ts), the policy, the agent and the CLI import them from here. Each is a list
// too, for the zod schemas that check them where they arrive (the log, the policy cases).

/** A peer as a node's failure detector has it (heartbeat's words): `init` not heard yet since start,
 *  `up`, `late` (silent past warntime: a warning, not a death), `dead` (silent past deadtime). */
export const PEER_LIVENESS = ["init", "up", "late", "dead"] as const;
export type PeerLiveness = (typeof PEER_LIVENESS)[number];

/** Heard at all (up or late): alive, if perhaps outside the quorum. */
export const isHeard = (l: PeerLiveness | undefined): boolean => l === "up" || l === "late";

/** A node's state as the cluster sees it, in crm_mon's words. */
export const NODE_STATES = ["online", "standby", "offline", "unclean"] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** A resource's state on one node. */
export const RESOURCE_STATES = ["started", "stopped", "starting", "stopping", "failed"] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

/** A group's state on one node: its resources' states, and `blocked` (a stop failed: the node must
 *  be fenced before the group runs anywhere else). */
export const GROUP_STATES = [...RESOURCE_STATES, "blocked"] as const;
export type GroupState = (typeof GROUP_STATES)[number];
