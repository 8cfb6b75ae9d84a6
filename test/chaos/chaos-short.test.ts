// CI's chaos set: every trial kind once (but those marked `inShortSet: false`, for its time), with shortened durations, on a fresh lab each (`npm run
// chaos -- --short` runs the same trials). One test per kind, so a failure names the kind and the
// invariants it broke, with the command that replays it. The invariants are the suite's own; they
// are not relaxed here.
import { beforeAll, describe, expect, it } from "vitest";
import { INVARIANT_TITLE, INVARIANTS } from "./invariants.js";
import { SHORT_SET } from "./kinds.js";
import { rootNftTables } from "./lab-checks.js";
import { failureDetail, trialLine } from "./report.js";
import { runTrial } from "./trial.js";

/** A fixed seed: CI runs the same schedule every time (the short set draws few parameters anyway). */
const SEED = 7;

describe("chaos, short set: every fault kind once on real agents, real nats-server, real ip/nft", () => {
  let nftBefore = "";
  beforeAll(async () => {
    nftBefore = await rootNftTables();
  });

  for (const [i, kind] of SHORT_SET.entries()) {
    it(`${kind.name}: ${kind.what}`, { timeout: 240_000 }, async () => {
      const r = await runTrial({ index: i, kind: kind.name, seed: SEED + i }, { short: true });
      console.log(trialLine(r, SHORT_SET.length));
      if (r.error || INVARIANTS.some((inv) => r.violations[inv]?.length)) console.log(failureDetail(r));
      expect(r.error, `the trial could not run: ${r.error}\n${r.diagnostics ?? ""}`).toBeUndefined();
      const broken = Object.fromEntries(INVARIANTS.filter((inv) => r.violations[inv]?.length).map((inv) => [INVARIANT_TITLE[inv], r.violations[inv]]));
      expect(broken, failureDetail(r)).toEqual({});
    });
  }

  // Every trial checks its own namespaces, processes and mounts; the root namespace's nft tables are
  // checked over the whole set (the lab's rules live inside its namespaces only).
  it("left the root namespace's nft tables as they were", async () => {
    expect(await rootNftTables()).toBe(nftBefore);
  });
});
