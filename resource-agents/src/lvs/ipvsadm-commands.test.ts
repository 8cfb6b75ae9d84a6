import { describe, expect, it } from "vitest";
import { ipvsadmCommands, ipvsadmDelete, ipvsadmList, ipvsadmUpdate } from "./ipvsadm-commands.js";
import type { VirtualService } from "./virtual-service.js";
import { testRealServer, testService } from "./virtual-service.fixture.js";

const rs = testRealServer;
const service = (extra: Partial<VirtualService> = {}): VirtualService =>
  testService({ lbAlgo: "wlc", realServers: [rs("203.0.113.11", 3), rs("203.0.113.12", 1, { inhibitOnFailure: true })], ...extra });

const A = "203.0.113.11:8080";
const B = "203.0.113.12:8080";

describe("ipvsadm commands", () => {
  it("creates the service with scheduler and persistence, then each live server with its weight", () => {
    expect(ipvsadmCommands(service({ persistenceTimeoutS: 50 }), new Set([A, B]))).toEqual([
      ["ipvsadm", "-A", "-t", "198.51.100.10:80", "-s", "wlc", "-p", "50"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-m", "-w", "3"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.12:8080", "-m", "-w", "1"],
    ]);
  });

  it("uses -u for UDP and -g / -i for direct routing and tunnelling", () => {
    expect(ipvsadmCommands(service({ protocol: "UDP", lbKind: "DR", lbAlgo: "sh" }), new Set([A]))).toEqual([
      ["ipvsadm", "-A", "-u", "198.51.100.10:80", "-s", "sh"],
      ["ipvsadm", "-a", "-u", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-g", "-w", "3"],
      ["ipvsadm", "-a", "-u", "198.51.100.10:80", "-r", "203.0.113.12:8080", "-g", "-w", "0"],
    ]);
    expect(ipvsadmCommands(service({ lbKind: "TUN" }), new Set([A]))[1]).toContain("-i");
  });

  it("deletes a server that fails and adds it back when it passes again", () => {
    expect(ipvsadmUpdate(service(), new Set([A, B]), new Set([B]))).toEqual([
      ["ipvsadm", "-d", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080"],
    ]);
    expect(ipvsadmUpdate(service(), new Set([B]), new Set([A, B]))).toEqual([
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-m", "-w", "3"],
    ]);
  });

  it("sets an inhibit_on_failure server to weight 0 instead of removing it", () => {
    expect(ipvsadmUpdate(service(), new Set([A, B]), new Set([A]))).toEqual([
      ["ipvsadm", "-e", "-t", "198.51.100.10:80", "-r", "203.0.113.12:8080", "-m", "-w", "0"],
    ]);
    expect(ipvsadmUpdate(service(), new Set([A]), new Set([A, B]))).toEqual([
      ["ipvsadm", "-e", "-t", "198.51.100.10:80", "-r", "203.0.113.12:8080", "-m", "-w", "1"],
    ]);
  });

  it("swaps in the sorry server when the last real server dies, and out when one returns", () => {
    const svc = service({ sorryServer: { ip: "203.0.113.99", port: 80 }, realServers: [rs("203.0.113.11", 3)] });
    expect(ipvsadmUpdate(svc, new Set([A]), new Set())).toEqual([
      ["ipvsadm", "-d", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.99:80", "-m", "-w", "1"],
    ]);
    expect(ipvsadmUpdate(svc, new Set(), new Set([A]))).toEqual([
      ["ipvsadm", "-d", "-t", "198.51.100.10:80", "-r", "203.0.113.99:80"],
      ["ipvsadm", "-a", "-t", "198.51.100.10:80", "-r", "203.0.113.11:8080", "-m", "-w", "3"],
    ]);
  });

  it("changes nothing when the live set is unchanged", () => {
    expect(ipvsadmUpdate(service(), new Set([A]), new Set([A]))).toEqual([]);
  });

  it("deletes and lists the service by protocol, address and port", () => {
    expect(ipvsadmDelete(service())).toEqual(["ipvsadm", "-D", "-t", "198.51.100.10:80"]);
    expect(ipvsadmList(service({ protocol: "UDP" }))).toEqual(["ipvsadm", "-L", "-n", "-u", "198.51.100.10:80"]);
  });
});
