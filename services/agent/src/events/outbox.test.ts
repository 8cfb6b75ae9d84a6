import { mkdtempSync, readFileSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeEvent } from "@vigil/shared/events/vocabulary";
import { Outbox } from "./outbox.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "vigil-outbox-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const ev = (n: number) => makeEvent("NodeUp", { peer: "n2", generation: 1 }, { id: `n1.1.${n}`, node: "n1", time: 1_700_000_000_000 + n });

describe("outbox", () => {
  it("keeps unacknowledged events across a restart, in order", () => {
    const dir = tmp();
    const a = Outbox.open(dir);
    a.append(ev(1));
    a.append(ev(2));
    a.append(ev(3));
    a.ack("n1.1.1");
    a.close();
    const b = Outbox.open(dir);
    expect(b.pending).toBe(2);
    expect(b.head()?.id).toBe("n1.1.2");
    b.ack("n1.1.2");
    expect(b.head()?.id).toBe("n1.1.3");
    b.close();
  });

  it("refuses an ack that is not for the head, so order cannot be broken", () => {
    const o = Outbox.open(tmp());
    o.append(ev(1));
    o.append(ev(2));
    expect(() => o.ack("n1.1.2")).toThrow(/not the head/);
    o.close();
  });

  it("skips a torn last line left by a crash mid-write", () => {
    const dir = tmp();
    const a = Outbox.open(dir);
    a.append(ev(1));
    a.close();
    appendFileSync(join(dir, "outbox.jsonl"), '{"v":1,"id":"n1.1.2","ty');
    const b = Outbox.open(dir);
    expect(b.pending).toBe(1);
    expect(b.head()?.id).toBe("n1.1.1");
    b.close();
  });

  it("starts its files empty again once everything is acknowledged", () => {
    const dir = tmp();
    const o = Outbox.open(dir);
    o.append(ev(1));
    o.ack("n1.1.1");
    expect(readFileSync(join(dir, "outbox.jsonl"), "utf8")).toBe("");
    o.close();
  });
});
