// npm run sim's tally and its threads: the judge reads structured problems, the table does not
// depend on the order seeds finish in, and `--jobs 2` prints what one thread prints.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSimArgs } from "./sim-args.js";
import { addOutcome, emptyTally, formatTally, judgeRun, runSeed, runSeedOutcome, type SeedOutcome } from "./sim-run.js";

describe("npm run sim's verdicts and tally", () => {
  it("judgeRun groups the run's problems by their invariant, three each, in the order found", () => {
    const run = runSeed(3, { scenario: "two-nodes-fencing" })!.run;
    const broken = {
      ...run,
      unsettled: [
        { invariant: "settles" as const, message: "g1 runs on no node" },
        { invariant: "folds converge" as const, message: "n1's fold is at #3, the log at #4" },
        { invariant: "settles" as const, message: "g2 runs on no node" },
        { invariant: "settles" as const, message: "n2 is not ready to place" },
        { invariant: "settles" as const, message: "a fourth, left out" },
      ],
    };
    expect(judgeRun(broken)).toEqual([
      { invariant: "settles", detail: "g1 runs on no node; g2 runs on no node; n2 is not ready to place" },
      { invariant: "folds converge", detail: "n1's fold is at #3, the log at #4" },
    ]);
  });

  it("the table is the same whatever order the seeds' outcomes arrive in (threads finish ranges in any order)", () => {
    const outcomes: SeedOutcome[] = [1, 2, 3, 4, 5, 6].map((s) => runSeedOutcome(s, { scenario: "two-nodes-fencing" })!);
    // Two made-up violations, so their order shows.
    outcomes[1] = { ...outcomes[1]!, broke: [{ invariant: "one holder", detail: "at 1 ms g1 on n1 and n2" }] };
    outcomes[4] = { ...outcomes[4]!, broke: [{ invariant: "commands answered", detail: "hanging" }] };
    const tally = (os: SeedOutcome[]) => {
      const t = emptyTally();
      for (const o of os) addOutcome(t, { ...o, ms: 10 });
      return t;
    };
    const inOrder = tally(outcomes);
    const shuffled = tally([outcomes[4]!, outcomes[5]!, outcomes[0]!, outcomes[3]!, outcomes[1]!, outcomes[2]!]);
    expect(shuffled.violations.map((v) => v.seed)).toEqual([2, 5]);
    expect(formatTally(shuffled, 0)).toBe(formatTally(inOrder, 0));
  });

  it("--jobs and --list are read; a job count that is not a whole number is refused", () => {
    expect(parseSimArgs(["--seeds", "10", "--jobs", "2", "--list"])).toMatchObject({ seeds: 10, jobs: 2, list: true });
    expect(parseSimArgs([]).jobs).toBe(1);
    expect(() => parseSimArgs(["--jobs", "0"])).toThrow(/--jobs wants a whole number/);
  });
});

describe("npm run sim -- --jobs 2 (the built simulator: test/dist)", () => {
  const main = fileURLToPath(new URL("../dist/sim/main.js", import.meta.url));
  // The table's ms/seed column and rate line are times; everything else must match.
  const untimed = (out: string) =>
    out
      .split("\n")
      .filter((l) => !l.startsWith("sim: "))
      .map((l) => l.replace(/\s+\d+$/, ""))
      .join("\n");
  const sim = (...args: string[]) => execFileSync(process.execPath, [main, "--seeds", "24", "--scenario", "two-nodes-ping-witness", "--list", ...args], { encoding: "utf8", timeout: 120_000 });

  it("prints the lines and the table one thread prints, seed by seed with the same digests", () => {
    const one = sim();
    const two = sim("--jobs", "2");
    expect(one).toContain("24 seeds, 0 violations");
    expect(one.match(/^seed \d+ .*digest [0-9a-f]{16}/gm)).toHaveLength(24);
    expect(untimed(two)).toBe(untimed(one));
  }, 240_000);
});
