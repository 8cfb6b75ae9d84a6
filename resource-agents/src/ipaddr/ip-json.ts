// Reading iproute2's JSON output (`ip -j -4 route show`, `ip -j -4 addr show`) — pure functions, so the
// routing-table rule is tested on captured output rather than on a live kernel.
import { z } from "zod";
import { inSubnet, ipv4ToInt } from "./ipaddr-args.js";

const Route = z.looseObject({
  dst: z.string(),
  dev: z.string().optional(),
  gateway: z.string().optional(),
  type: z.string().optional(),
});
const Routes = z.array(Route);

const AddrInfo = z.looseObject({ family: z.string(), local: z.string().optional(), prefixlen: z.number().optional() });
const Link = z.looseObject({ ifname: z.string(), addr_info: z.array(AddrInfo).default([]) });
const Links = z.array(Link);

/** A lookup over command output: found or not, or the output could not be read (an error value). */
export type Lookup<T> = { ok: true; found: T | undefined } | { ok: false; error: string };

export interface ConnectedRoute {
  dev: string;
  prefix: number;
}

/** The interface and prefix length of the connected route that contains `ip`, as heartbeat's findif did:
 *  routes through a gateway and the default route do not count (the address must sit on the link), and
 *  the most specific route wins. */
export function findConnectedRoute(routeJson: string, ip: string): Lookup<ConnectedRoute> {
  const addr = ipv4ToInt(ip);
  if (addr === undefined) return { ok: false, error: `not an IPv4 address: ${ip}` };
  const parsed = Routes.safeParse(safeJson(routeJson));
  if (!parsed.success) return { ok: false, error: "unreadable `ip -j route` output" };
  let best: ConnectedRoute | undefined;
  for (const r of parsed.data) {
    if (r.gateway !== undefined || r.dev === undefined || r.dst === "default") continue;
    if (r.type !== undefined && r.type !== "unicast") continue;
    const [net = "", len] = r.dst.split("/");
    const prefix = len === undefined ? 32 : Number(len);
    const netInt = ipv4ToInt(net);
    if (netInt === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) continue;
    if (!inSubnet(addr, netInt, prefix)) continue;
    if (!best || prefix > best.prefix) best = { dev: r.dev, prefix };
  }
  return { ok: true, found: best };
}

export interface HeldAddress {
  dev: string;
  prefix: number;
}

/** Where `ip` is configured (`ip -j -4 addr show`), or undefined when no interface holds it. */
export function findHeldAddress(addrJson: string, ip: string): Lookup<HeldAddress> {
  const parsed = Links.safeParse(safeJson(addrJson));
  if (!parsed.success) return { ok: false, error: "unreadable `ip -j addr` output" };
  for (const link of parsed.data) {
    for (const a of link.addr_info) {
      if (a.family === "inet" && a.local === ip) return { ok: true, found: { dev: link.ifname, prefix: a.prefixlen ?? 32 } };
    }
  }
  return { ok: true, found: undefined };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
