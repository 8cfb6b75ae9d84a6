import { describe, expect, it } from "vitest";
import { clientView, describeView } from "./client-view.js";

const a = (at: number, node: string) => ({ at, node });

describe("the client's view of a demo step", () => {
  it("names who answered before and after, and measures the longest gap from the last answer before the step", () => {
    const answers = [a(90, "n1"), a(95, "n1"), a(100, "n1"), a(520, "n2"), a(525, "n2"), a(530, "n2")];
    const v = clientView(answers, 100.5, 600);
    expect(v).toEqual({ before: "n1", after: "n2", outageMs: 420, answers: 3, nodes: ["n2"] });
  });

  it("counts the silence up to the window's end when nothing answers any more", () => {
    const v = clientView([a(10, "n1"), a(20, "n1")], 30, 1_000);
    expect(v.before).toBe("n1");
    expect(v.after).toBeUndefined();
    expect(v.outageMs).toBe(980);
    expect(v.answers).toBe(0);
  });

  it("takes the step's start as the origin when the client had no answer before it", () => {
    const v = clientView([a(300, "n3")], 100, 310);
    expect(v).toMatchObject({ before: undefined, after: "n3", outageMs: 200 });
  });

  it("reports a step that did not move the address as `still` that node", () => {
    const line = describeView(clientView([a(1, "n1"), a(6, "n1"), a(11, "n1")], 5, 12), 0);
    expect(line).toContain("still n1");
    expect(line).toContain("outage 5 ms");
  });

  it("lists every node that answered inside the window, in order of first answer", () => {
    const v = clientView([a(1, "n1"), a(5, "n2"), a(9, "n1"), a(12, "n3")], 0, 20);
    expect(v.nodes).toEqual(["n1", "n2", "n3"]);
    expect(describeView(v, 7)).toContain("7 failed requests");
  });
});
