// Two nodes whose authkeys differ from the start: each drops the other's packets for the key, and
// must say so once (PeerRejected naming the other), not per packet; `vigil status` shows the line
// with a count that moves on.
import { describe, expect, it } from "vitest";
import { createLab } from "./lab.js";
import { tearDownLabAfterEach } from "./lab-teardown.js";

const keepLab = tearDownLabAfterEach();

type Rejection = { peer: string; by: string; reason: string; count: number };

describe("peers rejected for a bad key (lab)", () => {
  it("differing authkeys: each node records PeerRejected naming the other, once; status shows it", { timeout: 120_000 }, async () => {
    const l = await createLab({ nodes: ["n1", "n2"], natsServers: 1, client: true });
    keepLab(l);
    l.writeConfig("n1", { key: `${l.key}-one` });
    l.writeConfig("n2", { key: `${l.key}-two` });
    for (const n of l.nodes) l.agents.start(n);
    const tail = l.tail();
    const [a, b] = await tail.waitForAll(
      [(e) => e.type === "PeerRejected" && e.node === "n1", (e) => e.type === "PeerRejected" && e.node === "n2"],
      30_000,
      "a PeerRejected from each node",
    );
    expect(a).toMatchObject({ peer: "n2", reason: "auth" });
    expect(b).toMatchObject({ peer: "n1", reason: "auth" });
    expect(a!.cause).toMatch(/heartbeat packets from n2 rejected: wrong key/);

    // Until the count has moved on in the log (PacketsDropped every 10 s), then: still one event each.
    const status = async () => JSON.parse((await l.cli.run(["status", "--json"])).stdout) as { rejections: Rejection[] };
    const deadline = Date.now() + 40_000;
    let s = await status();
    for (let i = 0; i < 40 && Date.now() < deadline && !(s.rejections.length === 2 && s.rejections.every((r) => r.count > (r.by === "n1" ? (a!.count as number) : (b!.count as number)))); i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      s = await status();
    }
    expect(s.rejections).toEqual([
      expect.objectContaining({ peer: "n1", by: "n2", reason: "auth" }),
      expect.objectContaining({ peer: "n2", by: "n1", reason: "auth" }),
    ]);
    expect(s.rejections.find((r) => r.by === "n1")!.count).toBeGreaterThan(a!.count as number);
    expect(tail.events().filter((e) => e.type === "PeerRejected")).toHaveLength(2);
    const text = (await l.cli.run(["status"])).stdout;
    expect(text).toMatch(/^WARNING: n2: \d+ packets rejected: wrong key \(by n1, since /m);
    expect(text).toMatch(/^WARNING: n1: \d+ packets rejected: wrong key \(by n2, since /m);
  });
});
