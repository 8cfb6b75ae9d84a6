// `npm run chaos -- [--trials N] [--seed S] [--kind K[,K…]] [--short] [--fence-window-ms MS] [--out FILE]`
import { KIND_NAMES, SHORT_SET } from "./kinds.js";

export interface ChaosArgs {
  trials: number;
  seed: number;
  kinds: string[];
  short: boolean;
  fenceWindowMs: number | undefined;
  /** JSON lines, one per trial, for the record (default: none). */
  out: string | undefined;
}

export const USAGE = `usage: npm run chaos -- [--trials N] [--seed S] [--kind K[,K...]] [--short] [--fence-window-ms MS (override; default: the design's window in agent-only kinds)] [--out FILE.jsonl]
kinds: ${KIND_NAMES.join(", ")}`;

export function parseArgs(argv: readonly string[], randomSeed: () => number): ChaosArgs {
  const a: ChaosArgs = { trials: 0, seed: randomSeed(), kinds: [...KIND_NAMES], short: false, fenceWindowMs: undefined, out: undefined };
  let trials: number | undefined;
  const int = (flag: string, v: string | undefined, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < 0 || n > max) throw new Error(`chaos: ${flag} wants a whole number in 0..${max}, not "${v ?? ""}"\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    if (f === "--trials") trials = int(f, argv[++i], 10_000);
    else if (f === "--seed") a.seed = int(f, argv[++i], 0xffffffff);
    else if (f === "--fence-window-ms") a.fenceWindowMs = int(f, argv[++i], 60_000);
    else if (f === "--short") a.short = true;
    else if (f === "--out") a.out = argv[++i];
    else if (f === "--kind") {
      const ks = (argv[++i] ?? "").split(",").filter(Boolean);
      const bad = ks.filter((k) => !KIND_NAMES.includes(k));
      if (ks.length === 0 || bad.length) throw new Error(`chaos: unknown kind ${bad.join(", ") || "(none given)"}\n${USAGE}`);
      a.kinds = ks;
    } else if (f === "--help" || f === "-h") throw new Error(USAGE);
    else throw new Error(`chaos: unknown argument "${f}"\n${USAGE}`);
  }
  if (a.short && !argv.includes("--kind")) a.kinds = SHORT_SET.map((k) => k.name);
  a.trials = trials ?? a.kinds.length;
  if (a.trials < 1) throw new Error(`chaos: --trials must be at least 1\n${USAGE}`);
  return a;
}
