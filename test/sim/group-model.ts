// A group on one node, as the real group machine behaves from the outside (services/agent/src/groups/
// group-machine.ts): stopped → starting → started → stopping → stopped. A STOP during starting lets
// the start finish, then stops; a START during stopping lets the stop finish, then starts. Resources
// never fail here: the simulator tests placement and the lease, not the resource agents.

export type GroupPhase = "stopped" | "starting" | "started" | "stopping";

export interface SimGroup {
  phase: GroupPhase;
  goal: "started" | "stopped";
  /** Bumped at every action, so that a completion scheduled for an earlier action is ignored. */
  token: number;
}

/** What the caller must schedule: the current action completes after `ms`. */
export type GroupEffect = { kind: "begin"; action: "start" | "stop"; token: number } | null;

export const newGroup = (): SimGroup => ({ phase: "stopped", goal: "stopped", token: 0 });

/** Holds the group's resources (an address configured, a disk mounted), wholly or in part. */
export const holds = (g: SimGroup): boolean => g.phase !== "stopped";

export function command(g: SimGroup, cmd: "START" | "STOP"): GroupEffect {
  if (cmd === "START") {
    g.goal = "started";
    return g.phase === "stopped" ? begin(g, "starting") : null;
  }
  g.goal = "stopped";
  return g.phase === "started" ? begin(g, "stopping") : null;
}

/** The action with `token` finished. */
export function complete(g: SimGroup, token: number): GroupEffect {
  if (token !== g.token) return null;
  if (g.phase === "starting") {
    if (g.goal === "started") return (g.phase = "started"), null;
    return begin(g, "stopping");
  }
  if (g.phase === "stopping") {
    if (g.goal === "stopped") return (g.phase = "stopped"), null;
    return begin(g, "starting");
  }
  return null;
}

/** Power off (a fence or a crash followed by a boot): nothing runs any more. */
export function wipe(g: SimGroup): void {
  g.phase = "stopped";
  g.goal = "stopped";
  g.token++;
}

function begin(g: SimGroup, phase: "starting" | "stopping"): GroupEffect {
  g.phase = phase;
  g.token++;
  return { kind: "begin", action: phase === "starting" ? "start" : "stop", token: g.token };
}
