import { describe, expect, it } from "vitest";
import { parseDrbdRole, parseDrbdStatus } from "./drbd-output.js";

describe("drbdadm role output", () => {
  it("reads DRBD 8's local/peer form", () => {
    expect(parseDrbdRole("Primary/Secondary\n")).toEqual({ local: "Primary", peer: "Secondary" });
    expect(parseDrbdRole("Secondary/Primary\n")).toEqual({ local: "Secondary", peer: "Primary" });
    expect(parseDrbdRole("Secondary/Unknown\n")).toEqual({ local: "Secondary", peer: "Unknown" });
  });

  it("reads DRBD 9's local role and an unconfigured resource", () => {
    expect(parseDrbdRole("Primary\n")).toEqual({ local: "Primary" });
    expect(parseDrbdRole("Secondary\n")).toEqual({ local: "Secondary" });
    expect(parseDrbdRole("Unconfigured\n")).toEqual({ local: "Unconfigured" });
  });

  it("says nothing about output it does not recognise", () => {
    expect(parseDrbdRole("r0: No such resource\n")).toBeUndefined();
    expect(parseDrbdRole("")).toBeUndefined();
  });
});

describe("drbdadm status output (DRBD 9)", () => {
  it("reads a connected two-node resource", () => {
    const text = ["r0 role:Primary", "  disk:UpToDate", "  peer role:Secondary", "    replication:Established peer-disk:UpToDate", ""].join("\n");
    expect(parseDrbdStatus(text)).toEqual([
      {
        name: "r0",
        role: "Primary",
        fields: { role: "Primary" },
        volumes: [{ disk: "UpToDate" }],
        peers: [{ name: "peer", role: "Secondary", volumes: [{ replication: "Established", "peer-disk": "UpToDate" }] }],
      },
    ]);
  });

  it("reads several resources, volumes, a suspended resource and a peer still connecting", () => {
    const text = [
      "data role:Secondary suspended:user",
      "  volume:0 disk:UpToDate",
      "  volume:1 disk:Inconsistent",
      "  alice role:Primary",
      "    volume:0 replication:SyncTarget peer-disk:UpToDate done:42.10",
      "    volume:1 peer-disk:UpToDate",
      "  bob connection:Connecting",
      "",
      "logs role:Primary",
      "  disk:UpToDate",
      "",
    ].join("\n");
    const [data, logs] = parseDrbdStatus(text);
    expect(data?.role).toBe("Secondary");
    expect(data?.fields.suspended).toBe("user");
    expect(data?.volumes.map((v) => v.disk)).toEqual(["UpToDate", "Inconsistent"]);
    expect(data?.peers.map((p) => [p.name, p.role, p.connection])).toEqual([
      ["alice", "Primary", undefined],
      ["bob", undefined, "Connecting"],
    ]);
    expect(data?.peers[0]?.volumes[0]?.done).toBe("42.10");
    expect(logs).toMatchObject({ name: "logs", role: "Primary", peers: [] });
  });
});
