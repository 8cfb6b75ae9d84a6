import { describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { arpingArgv, arpingFlavourFromHelp } from "./arp-announcer.js";
import { findConnectedRoute, findHeldAddress } from "./ip-json.js";
import { netmaskToPrefix, parseIpaddrArgs } from "./ipaddr-args.js";
import { IpaddrResource } from "./ipaddr-agent.js";

describe("IPaddr arguments", () => {
  it("reads heartbeat's ip/nn/dev/bcast form", () => {
    const p = parseIpaddrArgs(["198.51.100.10/24/eth1/198.51.100.255"]);
    expect(p).toEqual({ ok: true, value: { ip: "198.51.100.10", prefix: 24, dev: "eth1", bcast: "198.51.100.255" } });
  });

  it("accepts a bare address and a dotted netmask", () => {
    expect(parseIpaddrArgs(["198.51.100.10"])).toEqual({ ok: true, value: { ip: "198.51.100.10" } });
    const p = parseIpaddrArgs(["198.51.100.10/255.255.255.192"]);
    expect(p.ok && p.value.prefix).toBe(26);
  });

  it.each([
    [["198.51.100.300"], "ip"],
    [["not-an-ip/24"], "ip"],
    [["198.51.100.10/33"], "netmask"],
    [["198.51.100.10/255.0.255.0"], "netmask"],
    [["198.51.100.10/24/this-name-is-too-long"], "dev"],
    [["198.51.100.10/24/eth0/1.2.3"], "bcast"],
    [[], "ip"],
    [["198.51.100.10/24", "eth0"], "argument 2"],
  ])("rejects %j with ERR_ARGS naming %s", (args, name) => {
    const r = new IpaddrResource("t", args).validate();
    expect(r.rc).toBe(OCF.ERR_ARGS);
    expect(r.message).toContain(`IPaddr: ${name}`);
  });

  it("converts netmasks to prefix lengths and refuses holes", () => {
    expect(netmaskToPrefix("255.255.255.255")).toBe(32);
    expect(netmaskToPrefix("0.0.0.0")).toBe(0);
    expect(netmaskToPrefix("255.255.0.0")).toBe(16);
    expect(netmaskToPrefix("255.255.0.255")).toBeUndefined();
  });
});

describe("routing-table lookup", () => {
  const routes = JSON.stringify([
    { dst: "default", gateway: "203.0.113.1", dev: "eth0" },
    { dst: "203.0.113.0/24", dev: "eth0", protocol: "kernel", scope: "link" },
    { dst: "198.51.100.0/24", dev: "eth1", protocol: "kernel", scope: "link" },
    { dst: "198.51.100.128/25", dev: "eth2", protocol: "kernel", scope: "link" },
    { dst: "192.0.2.0/24", gateway: "203.0.113.9", dev: "eth0" },
  ]);

  it("picks the interface whose connected route contains the address, most specific first", () => {
    expect(findConnectedRoute(routes, "198.51.100.10")).toEqual({ ok: true, found: { dev: "eth1", prefix: 24 } });
    expect(findConnectedRoute(routes, "198.51.100.200")).toEqual({ ok: true, found: { dev: "eth2", prefix: 25 } });
  });

  it("ignores the default route and routes through a gateway", () => {
    expect(findConnectedRoute(routes, "192.0.2.5")).toEqual({ ok: true, found: undefined });
    expect(findConnectedRoute(routes, "10.1.1.1")).toEqual({ ok: true, found: undefined });
  });

  it("reports unreadable output as an error value", () => {
    expect(findConnectedRoute("not json", "198.51.100.10").ok).toBe(false);
  });

  it("finds which interface holds an address", () => {
    const addrs = JSON.stringify([
      { ifname: "lo", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }] },
      { ifname: "eth1", addr_info: [{ family: "inet", local: "198.51.100.1", prefixlen: 24 }, { family: "inet", local: "198.51.100.10", prefixlen: 24 }] },
    ]);
    expect(findHeldAddress(addrs, "198.51.100.10")).toEqual({ ok: true, found: { dev: "eth1", prefix: 24 } });
    expect(findHeldAddress(addrs, "198.51.100.11")).toEqual({ ok: true, found: undefined });
  });
});

describe("gratuitous ARP command", () => {
  it("uses each arping's own interface flag and bounds the burst", () => {
    const spec = { ip: "198.51.100.10", dev: "eth1", count: 3, intervalMs: 200 };
    const h = arpingArgv("habets", spec);
    expect(h).toEqual(expect.arrayContaining(["-U", "-i", "eth1", "198.51.100.10"]));
    // the announced address is the sender, or neighbours learn nothing about it
    expect(h[h.indexOf("-S") + 1]).toBe("198.51.100.10");
    expect(h[h.indexOf("-c") + 1]).toBe("3");
    expect(h[h.indexOf("-W") + 1]).toBe("0.2");
    expect(arpingArgv("iputils", spec)).toEqual(expect.arrayContaining(["-U", "-I", "eth1"]));
  });

  it("tells the arping flavours apart from their help text", () => {
    expect(arpingFlavourFromHelp("ARPing 2.23, by Thomas Habets <thomas@habets.se>\n -i interface")).toBe("habets");
    expect(arpingFlavourFromHelp("Usage: arping [-fqbDUAV] [-c count] [-w timeout] [-I device] [-s source] destination")).toBe("iputils");
  });
});
