// `npm run sim -- [--seeds N] [--from S] [--seed S] [--nodes 2..7] [--scenario NAME] [--jobs N] [--list]`
import { SCENARIO_NAMES } from "./scenarios.js";

export interface SimArgs {
  /** How many seeds, from `from`. */
  seeds: number;
  from: number;
  /** One seed alone, with its trace (a replay). */
  seed: number | undefined;
  nodes: number | undefined;
  scenario: string | undefined;
  /** Worker threads the seeds run in (1: this thread). */
  jobs: number;
  /** One line per seed, with a digest of its run, before the table. */
  list: boolean;
}

export const USAGE = `usage: npm run sim -- [--seeds N] [--from S] [--seed S (replay one, with its trace)] [--nodes 2..7] [--scenario NAME] [--jobs N (threads, default 1)] [--list (a line per seed)]
scenarios: ${SCENARIO_NAMES.join(", ")}`;

export function parseSimArgs(argv: readonly string[]): SimArgs {
  const a: SimArgs = { seeds: 1_000, from: 1, seed: undefined, nodes: undefined, scenario: undefined, jobs: 1, list: false };
  const int = (flag: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new Error(`sim: ${flag} wants a whole number in ${min}..${max}, not "${v ?? ""}"\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === "--seeds") a.seeds = int(f, argv[++i], 1, 10_000_000);
    else if (f === "--from") a.from = int(f, argv[++i], 0, 0xffffffff);
    else if (f === "--seed") a.seed = int(f, argv[++i], 0, 0xffffffff);
    else if (f === "--nodes") a.nodes = int(f, argv[++i], 2, 7);
    else if (f === "--jobs") a.jobs = int(f, argv[++i], 1, 64);
    else if (f === "--list") a.list = true;
    else if (f === "--scenario") {
      const s = argv[++i] ?? "";
      if (!SCENARIO_NAMES.includes(s)) throw new Error(`sim: unknown scenario "${s}"\n${USAGE}`);
      a.scenario = s;
    } else if (f === "--help" || f === "-h") throw new Error(USAGE);
    else throw new Error(`sim: unknown argument "${f}"\n${USAGE}`);
  }
  return a;
}
