// Which kinds a run takes: every kind by default, CI's short set with --short, the named ones with --kind.
import { describe, expect, it } from "vitest";
import { parseArgs } from "./args.js";
import { KIND_NAMES, KINDS, SHORT_SET } from "./kinds.js";

const seed = () => 1;

describe("chaos arguments and kinds", () => {
  it("kind names are unique, and every two-node kind runs two nodes with the tie-breaker", () => {
    expect(new Set(KIND_NAMES).size).toBe(KIND_NAMES.length);
    const twoNode = KINDS.filter((k) => k.nodes?.length === 2);
    expect(twoNode.map((k) => k.name)).toEqual(expect.arrayContaining(["two-node-split", "arbiter-killed", "two-node-holder-killed"]));
    for (const k of twoNode) expect(k.extra, k.name).toContain("tiebreaker nats");
  });

  it("no kind flag: every kind once; --short: the short set once; --kind wins over --short", () => {
    expect(parseArgs([], seed).kinds).toEqual(KIND_NAMES);
    const short = parseArgs(["--short"], seed);
    expect(short.kinds).toEqual(SHORT_SET.map((k) => k.name));
    expect(short.trials).toBe(SHORT_SET.length);
    expect(short.kinds).not.toContain("two-node-keys-differ");
    expect(parseArgs(["--short", "--kind", "two-node-keys-differ"], seed).kinds).toEqual(["two-node-keys-differ"]);
  });
});
