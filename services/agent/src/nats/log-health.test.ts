import { describe, expect, it } from "vitest";
import { judgeLog } from "./log-health.js";

const A = "2026-12-01T10:00:00Z";
const B = "2026-12-01T11:00:00Z";

describe("judging whether the fold follows the log", () => {
  it("is ok when the fold is at the end, or moved since the last look", () => {
    expect(judgeLog({ stream: { created: A, lastSeq: 10 }, followedCreated: A, foldSeq: 10, foldSeqBefore: 10 })).toEqual({ kind: "ok" });
    expect(judgeLog({ stream: { created: A, lastSeq: 10 }, followedCreated: A, foldSeq: 8, foldSeqBefore: 5 })).toEqual({ kind: "ok" });
  });

  it("calls a fold behind the stream that did not move since the last look stalled", () => {
    expect(judgeLog({ stream: { created: A, lastSeq: 10 }, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 })).toEqual({ kind: "stalled", behind: 3 });
  });

  it("calls the log lost when the stream is gone, made again, or shorter than the fold", () => {
    expect(judgeLog({ stream: null, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 }).kind).toBe("lost");
    expect(judgeLog({ stream: { created: B, lastSeq: 50 }, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 }).kind).toBe("lost");
    expect(judgeLog({ stream: { created: A, lastSeq: 3 }, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 }).kind).toBe("lost");
  });

  it("does not call a stream lost for ending before the fold when a leaderless replica answered (an election: its copy may lag)", () => {
    expect(judgeLog({ stream: { created: A, lastSeq: 3, leaderless: true }, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 })).toEqual({ kind: "ok" });
    // Recreated is still recreated, whoever answers (the creation time is the assignment's, the same on every replica).
    expect(judgeLog({ stream: { created: B, lastSeq: 3, leaderless: true }, followedCreated: A, foldSeq: 7, foldSeqBefore: 7 }).kind).toBe("lost");
  });

  it("does not call a stream that was never found lost (nothing was folded from it)", () => {
    expect(judgeLog({ stream: null, followedCreated: null, foldSeq: 0, foldSeqBefore: 0 })).toEqual({ kind: "ok" });
  });
});
