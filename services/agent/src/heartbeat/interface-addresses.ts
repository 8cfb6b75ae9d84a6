// Finds the IPv4 address (and broadcast address) of a named device, as heartbeat's bcast/mcast need.
// Pure: the caller passes `os.networkInterfaces()`.
import type { NetworkInterfaceInfo } from "node:os";

export type DeviceAddress = { ok: true; address: string; broadcast: string } | { ok: false; error: string };

const toInt = (a: string) => a.split(".").reduce((n, o) => (n << 8) | Number(o), 0) >>> 0;
const toDotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/** The broadcast address of an IPv4 address and netmask: the host bits all set. */
export function broadcastAddress(address: string, netmask: string): string {
  return toDotted((toInt(address) | ~toInt(netmask)) >>> 0);
}

export function deviceAddress(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>, dev: string): DeviceAddress {
  const list = ifaces[dev];
  if (!list) {
    const known = Object.keys(ifaces).join(", ") || "none";
    return { ok: false, error: `device ${dev} not found (devices here: ${known})` };
  }
  const v4 = list.find((i) => i.family === "IPv4");
  if (!v4) return { ok: false, error: `device ${dev} has no IPv4 address` };
  return { ok: true, address: v4.address, broadcast: broadcastAddress(v4.address, v4.netmask) };
}

/** Splits Vigil's `bind ADDRESS[:PORT]` (IPv4 only, as heartbeat's media are). */
export function splitHostPort(
  s: string,
  defaultPort: number,
): { ok: true; host: string; port: number } | { ok: false; error: string } {
  const i = s.lastIndexOf(":");
  if (i < 0) return { ok: true, host: s, port: defaultPort };
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: `bad port in "${s}"` };
  return { ok: true, host: s.slice(0, i), port };
}

/** The netmask of a prefix length, dotted. */
export function prefixToNetmask(prefixlen: number): string {
  const bits = prefixlen <= 0 ? 0 : (0xffffffff << (32 - Math.min(32, prefixlen))) >>> 0;
  return toDotted(bits);
}

/**
 * Reads a device's IPv4 address from `ip -j -4 addr show dev DEV`. Node's `os.networkInterfaces()`
 * lists only devices that are up *with carrier*; a heartbeat link whose cable is out at start-up must
 * still be opened (its sends fail and are counted until the link comes back).
 */
export function parseIpAddrJson(json: string, dev: string): DeviceAddress {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    return { ok: false, error: `device ${dev}: cannot read \`ip addr\` output` };
  }
  const list = Array.isArray(entries) ? (entries as Array<{ ifname?: unknown; addr_info?: unknown }>) : [];
  const entry = list.find((e) => e.ifname === dev);
  if (!entry) return { ok: false, error: `device ${dev} not found` };
  const infos = Array.isArray(entry.addr_info) ? (entry.addr_info as Array<Record<string, unknown>>) : [];
  const v4 = infos.find((a) => a.family === "inet" && typeof a.local === "string");
  if (!v4) return { ok: false, error: `device ${dev} has no IPv4 address` };
  const address = v4.local as string;
  const broadcast =
    typeof v4.broadcast === "string"
      ? v4.broadcast
      : broadcastAddress(address, prefixToNetmask(typeof v4.prefixlen === "number" ? v4.prefixlen : 32));
  return { ok: true, address, broadcast };
}
