// `vigil status` shows the tie-breaker lease where the quorum lines are: the last winner and its token,
// and each node's losing verdict with its reason (text), and the same as `tiebreaker` in --json.
import { describe, expect, it } from "vitest";
import { applyEvent, emptyView } from "@vigil/shared/events/cluster-view";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { formatStatus, statusObject } from "./status.js";

describe("status: the tie-breaker", () => {
  it("no line and null in --json while no node has asked", () => {
    const s = statusObject(emptyView("lab"));
    expect(s.tiebreaker).toBeNull();
    expect(formatStatus(s)).not.toMatch(/Tie-breaker/);
  });

  it("the last winner with its token, and the loser's reason", () => {
    const v = emptyView("lab");
    const t = "2026-12-01T10:00:00.000Z";
    const at = Date.parse(t);
    applyEvent(v, makeEvent("TiebreakerWon", { token: 17, renewed: false }, { id: "n1.1.1", node: "n1", time: at, cause: "took the tie-breaker lease (token 17)" }), 1);
    applyEvent(v, makeEvent("TiebreakerLost", { holder: "n1", token: 17 }, { id: "n2.1.1", node: "n2", time: at, cause: "n1 holds the tie-breaker lease (token 17)" }), 2);
    const s = statusObject(v);
    expect(s.tiebreaker).toMatchObject({ holder: "n1", token: 17, seq: 1, verdicts: { n1: { won: true }, n2: { won: false, seq: 2 } } });
    expect(JSON.parse(JSON.stringify(s)).tiebreaker.holder).toBe("n1");
    expect(formatStatus(s)).toContain(`Tie-breaker: lease last won by n1, token 17, at ${t} (#1); n2 lost (#2): n1 holds the tie-breaker lease (token 17)`);
  });
});
