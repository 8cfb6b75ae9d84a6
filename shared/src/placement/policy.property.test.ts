// Properties the policy must keep on any input; the golden cases in test/policy/ hold the exact answers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { whyIneligible } from "./eligibility.js";
import type { NodeState, PlacementInput } from "./placement-input.js";
import { decidePlacement } from "./policy.js";

const NODES = ["n1", "n2", "n3", "n4"];
const GROUPS = ["web", "db", "nfs"];

function arbInput(states: readonly NodeState[]): fc.Arbitrary<PlacementInput> {
  return fc.record({
    nodeCount: fc.integer({ min: 1, max: 4 }),
    states: fc.array(fc.constantFrom(...states), { minLength: 4, maxLength: 4 }),
    upSince: fc.array(fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }), { minLength: 4, maxLength: 4 }),
    groupCount: fc.integer({ min: 1, max: 3 }),
    preferred: fc.array(fc.constantFrom(...NODES), { minLength: 3, maxLength: 3 }),
    current: fc.array(fc.option(fc.constantFrom(...NODES), { nil: null }), { minLength: 3, maxLength: 3 }),
    moves: fc.array(fc.option(fc.constantFrom(...NODES, "n9"), { nil: undefined }), { minLength: 3, maxLength: 3 }),
    fails: fc.array(fc.tuple(fc.constantFrom(...GROUPS), fc.constantFrom(...NODES), fc.integer({ min: 0, max: 5 })), { maxLength: 4 }),
    autoFailback: fc.constantFrom("on" as const, "off" as const, "legacy" as const),
    hasQuorum: fc.boolean(),
    failbackStableMs: fc.integer({ min: 0, max: 60_000 }),
  }).map((r) => {
    const nodes = NODES.slice(0, r.nodeCount).map((name, i) => ({ name, state: r.states[i]!, upSince: r.upSince[i] }));
    const groups = GROUPS.slice(0, r.groupCount).map((id, i) => ({ id, preferredNode: r.preferred[i]!, resources: [`${id}-ip`, `${id}-svc`] }));
    const failcounts: PlacementInput["failcounts"] = {};
    for (const [g, n, count] of r.fails) ((failcounts[g] ??= {})[n] ??= {})[`${g}-svc`] = count;
    return {
      nodes,
      groups,
      autoFailback: r.autoFailback,
      current: Object.fromEntries(groups.map((g, i) => [g.id, r.current[i]!])),
      moves: Object.fromEntries(groups.flatMap((g, i) => (r.moves[i] === undefined ? [] : [[g.id, r.moves[i]!]]))),
      failcounts,
      migrationThreshold: {},
      quorum: { hasQuorum: r.hasQuorum },
      now: 100_000,
      failbackStableMs: r.failbackStableMs,
    };
  });
}

const allStates: NodeState[] = ["online", "standby", "offline", "unclean"];

describe("placement policy properties", () => {
  it("places a group only on an online node where it is eligible, and only with quorum", () => {
    fc.assert(
      fc.property(arbInput(allStates), (input) => {
        const { placement, reasons } = decidePlacement(input);
        const nodes = new Map(input.nodes.map((n) => [n.name, n]));
        for (const g of input.groups) {
          expect(g.id in placement).toBe(true);
          expect(reasons[g.id]).toBeTruthy();
          const node = placement[g.id];
          if (node === null || node === undefined) continue;
          expect(input.quorum.hasQuorum).toBe(true);
          expect(nodes.get(node)?.state).toBe("online");
          expect(whyIneligible(input, nodes, g, node)).toBeNull();
        }
      }),
      { numRuns: 500, seed: 4242 },
    );
  });

  it("never starts a group elsewhere while it may still run on an unclean node", () => {
    fc.assert(
      fc.property(arbInput(allStates), (input) => {
        const { placement } = decidePlacement(input);
        for (const g of input.groups) {
          const cur = input.current[g.id];
          if (cur && input.nodes.find((n) => n.name === cur)?.state === "unclean") expect(placement[g.id]).toBeNull();
        }
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it("places every group that has an eligible node when it has quorum and no unclean owner", () => {
    fc.assert(
      fc.property(arbInput(["online", "standby", "offline"]), (input) => {
        fc.pre(input.quorum.hasQuorum);
        const { placement } = decidePlacement(input);
        const nodes = new Map(input.nodes.map((n) => [n.name, n]));
        for (const g of input.groups) {
          const someEligible = input.nodes.some((n) => whyIneligible(input, nodes, g, n.name) === null);
          expect(placement[g.id] !== null).toBe(someEligible);
        }
      }),
      { numRuns: 500, seed: 99 },
    );
  });

  it("is deterministic and leaves its input untouched", () => {
    fc.assert(
      fc.property(arbInput(allStates), (input) => {
        const copy = structuredClone(input);
        const a = decidePlacement(input);
        const b = decidePlacement(input);
        expect(b).toEqual(a);
        expect(input).toEqual(copy);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it("is a fixed point: once groups run where it said, it says the same again (no flapping)", () => {
    fc.assert(
      fc.property(arbInput(["online", "standby", "offline"]), (input) => {
        const first = decidePlacement(input);
        const second = decidePlacement({ ...input, current: first.placement });
        expect(second.placement).toEqual(first.placement);
      }),
      { numRuns: 500, seed: 2024 },
    );
  });
});
