// Operator commands in the simulated cluster: one operator types `vigil node standby|online`,
// `vigil resource move|clear|cleanup` and `vigil hb standby|takeover`, all with --wait, at random
// moments while links fail, nodes crash, NATS is unreachable or the store is wiped. The CLI's own
// decisions (sim-commands.ts over operator-plan.ts) against the simulated log; the production
// controllers read the commands from their folds.
import { describe, expect, it } from "vitest";
import { explore } from "./explore.js";
import { simulate } from "./simulate.js";
import { assertAllHeld } from "./report.js";
import { COMMAND_VERBS, commandVerb } from "./sim-commands.js";
import { defaultOptions, LOG_FAULTS, type FaultKind } from "./sim-options.js";

const withCommands = (faults: readonly FaultKind[]) =>
  defaultOptions({ fencing: true, stopMs: [1, 300], faults, faultCount: [1, 3], commands: COMMAND_VERBS, commandCount: [1, 3] });

describe("operator commands at random moments", () => {
  it("with network, crash and log faults: one holder at every instant, every command carried out or refused with a reason, and the cluster settles where the commands put it", () => {
    const o = withCommands(["link-down", "partition", "crash", "log-outage", "store-wiped"]);
    const e = explore(o, 1, 80);
    assertAllHeld(e, "3 nodes, fencing, faults and operator commands");
    // The commands did something: every verb was carried out at least once in these seeds.
    const runs = Array.from({ length: 60 }, (_, i) => simulate(o, i + 1));
    const done = new Set(runs.flatMap((r) => r.commands.filter((c) => c.outcome?.kind === "done").map((c) => commandVerb(c.command))));
    expect([...done].sort()).toEqual([...COMMAND_VERBS].sort());
    const refused = runs.flatMap((r) => r.commands.filter((c) => c.outcome?.kind === "refused"));
    expect(refused.length).toBeGreaterThan(0);
  });

  it("a node whose log reader hangs misses a standby of itself, and starts nothing while a peer has folded it; the peer alone takes the dead node's group (seed 142)", () => {
    // n2 is put in standby at 590 ms while its follower is hung (it folds the standby only when the
    // watchdog restarts the reader, at 6005 ms). n1 loses its link; n2 fences it, and its own fold says
    // n2 is online, but n3's heartbeat says n3 has folded placement inputs n2 has not: n2 starts
    // nothing. n3, which knows n2 is in standby, takes g1. Before the folds were compared (fold-
    // agreement.ts), n2 started g1 too and both held it for a heartbeat.
    const r = simulate(withCommands(["link-down", "partition", "crash", ...LOG_FAULTS]), 142);
    expect(r.violation).toBeNull();
    expect(r.commands.map((c) => [commandVerb(c.command), c.outcome?.kind])).toEqual([["standby", "done"]]);
    const starts = (g: string) => r.trace.filter((l) => new RegExp(` ${g} stopped/stopped → starting/started`).test(l)).map((l) => l.split(" ")[1]);
    expect(starts("g1")).toEqual(["n1", "n3"]);
    expect(r.trace.some((l) => / n2 starts wait: n3 has folded placement inputs .*no start until its fold catches up/.test(l))).toBe(true);
  });
});
