import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { broadcastAddress, deviceAddress, parseIpAddrJson, prefixToNetmask, splitHostPort } from "./interface-addresses.js";

const v4 = (address: string, netmask: string): NetworkInterfaceInfo => ({
  address,
  netmask,
  family: "IPv4",
  mac: "00:00:00:00:00:00",
  internal: false,
  cidr: null,
});

describe("interface addresses", () => {
  it("computes the broadcast address from address and netmask", () => {
    expect(broadcastAddress("198.51.100.7", "255.255.255.0")).toBe("198.51.100.255");
    expect(broadcastAddress("203.0.113.70", "255.255.255.192")).toBe("203.0.113.127");
    expect(broadcastAddress("10.1.2.3", "255.0.0.0")).toBe("10.255.255.255");
  });

  it("finds a device's IPv4 address, skipping IPv6 entries", () => {
    const ifaces = { eth1: [{ ...v4("fe80::1", "ffff::"), family: "IPv6" as const, scopeid: 0 }, v4("198.51.100.7", "255.255.255.0")] };
    expect(deviceAddress(ifaces, "eth1")).toEqual({ ok: true, address: "198.51.100.7", broadcast: "198.51.100.255" });
  });

  it("says which device is missing and which exist", () => {
    const r = deviceAddress({ lo: [v4("127.0.0.1", "255.0.0.0")] }, "eth9");
    expect(r).toEqual({ ok: false, error: "device eth9 not found (devices here: lo)" });
  });

  it("splits ADDRESS[:PORT] and refuses a bad port", () => {
    expect(splitHostPort("127.0.0.2", 694)).toEqual({ ok: true, host: "127.0.0.2", port: 694 });
    expect(splitHostPort("127.0.0.2:7001", 694)).toEqual({ ok: true, host: "127.0.0.2", port: 7001 });
    expect(splitHostPort("127.0.0.2:70000", 694).ok).toBe(false);
  });
});

describe("reading `ip -j addr` output", () => {
  const out = (addrInfo: object[]) =>
    JSON.stringify([{ ifname: "hb0", flags: ["NO-CARRIER", "UP"], addr_info: addrInfo }]);

  it("finds the address of a device without carrier", () => {
    const r = parseIpAddrJson(out([{ family: "inet", local: "198.51.100.1", prefixlen: 24, broadcast: "198.51.100.255" }]), "hb0");
    expect(r).toEqual({ ok: true, address: "198.51.100.1", broadcast: "198.51.100.255" });
  });

  it("computes the broadcast address from the prefix when ip does not print one", () => {
    const r = parseIpAddrJson(out([{ family: "inet", local: "203.0.113.70", prefixlen: 26 }]), "hb0");
    expect(r).toEqual({ ok: true, address: "203.0.113.70", broadcast: "203.0.113.127" });
    expect(prefixToNetmask(26)).toBe("255.255.255.192");
    expect(prefixToNetmask(32)).toBe("255.255.255.255");
  });

  it("reports a device with no IPv4 address, a missing device and garbage", () => {
    expect(parseIpAddrJson(out([{ family: "inet6", local: "fe80::1" }]), "hb0")).toEqual({ ok: false, error: "device hb0 has no IPv4 address" });
    expect(parseIpAddrJson(out([]), "eth9")).toEqual({ ok: false, error: "device eth9 not found" });
    expect(parseIpAddrJson("not json", "hb0").ok).toBe(false);
  });
});
