// heartbeat's IPaddr argument: `ip[/nn[/dev[/bcast]]]` (one haresources argument, slash-separated).
// nn is a prefix length or a dotted netmask, as heartbeat's IPaddr accepted both. IPv4 only: heartbeat
// kept IPv6 in a separate agent (IPv6addr); OCF IPv6 works through `ocf:heartbeat:IPaddr2`.
import { z } from "zod";
import { OCF, type ActionResult, type AgentMetadata } from "../agent-interface.js";
import { argsError, zodArgsError } from "../metadata.js";

export const IPADDR_META: AgentMetadata = {
  name: "IPaddr",
  description:
    "A floating IPv4 address: `IPaddr::ip[/nn[/dev[/bcast]]]` (a bare address in haresources means the same).\n" +
    "Adds the address with `ip addr add` and announces it with gratuitous ARP (arping); the interface and\n" +
    "prefix length come from the routing table when not given.",
  parameters: [
    { name: "ip", description: "The IPv4 address to hold", required: true },
    { name: "netmask", description: "Prefix length (24) or dotted netmask (255.255.255.0); default: from the connected route", required: false },
    { name: "dev", description: "Interface; default: the one whose connected route contains ip", required: false },
    { name: "bcast", description: "Broadcast address; default: computed from the prefix (`brd +`)", required: false },
  ],
  timeouts: { start: 20_000, stop: 20_000, monitor: 20_000 },
  monitorIntervalMs: 5_000,
};

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted IPv4 into a 32-bit unsigned number, or undefined. */
export function ipv4ToInt(s: string): number | undefined {
  const m = OCTETS.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** A netmask written as a prefix length or a contiguous dotted mask, as a prefix length. */
export function netmaskToPrefix(s: string): number | undefined {
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    return n <= 32 ? n : undefined;
  }
  const v = ipv4ToInt(s);
  if (v === undefined) return undefined;
  const bits = v.toString(2).padStart(32, "0");
  if (!/^1*0*$/.test(bits)) return undefined;
  const firstZero = bits.indexOf("0");
  return firstZero === -1 ? 32 : firstZero;
}

/** Whether `ip` lies inside `net/prefix`. */
export function inSubnet(ip: number, net: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(ip / size) === Math.floor(net / size);
}

const Ipv4 = z.string().refine((s) => ipv4ToInt(s) !== undefined, "must be a dotted IPv4 address");
// Linux limits interface names to 15 bytes (IFNAMSIZ - 1) and forbids '/', ':' and whitespace in them.
const IfName = z.string().regex(/^[^\s/:]{1,15}$/, "must be an interface name (1-15 characters, no '/', ':' or space)");

const IpaddrArgs = z.object({
  ip: Ipv4,
  netmask: z
    .string()
    .refine((s) => netmaskToPrefix(s) !== undefined, "must be a prefix length 0-32 or a contiguous dotted netmask")
    .optional(),
  dev: IfName.optional(),
  bcast: Ipv4.optional(),
});

export interface IpaddrConfig {
  ip: string;
  /** Prefix length when given; otherwise found from the routing table at start. */
  prefix?: number;
  dev?: string;
  bcast?: string;
}

export function parseIpaddrArgs(args: readonly string[]): { ok: true; value: IpaddrConfig } | { ok: false; result: ActionResult } {
  if (args.length === 0 || args[0] === "") return { ok: false, result: argsError("IPaddr", "ip", "is required (IPaddr::ip[/nn[/dev[/bcast]]])") };
  if (args.length > 1) {
    // heartbeat passes the whole `ip/nn/dev/bcast` as one argument; a second `::` argument is a typo.
    return { ok: false, result: argsError("IPaddr", `argument 2 ("${args[1]}")`, "unexpected: write IPaddr::ip/nn/dev/bcast as one argument") };
  }
  const fields = (args[0] ?? "").split("/");
  if (fields.length > 4) return { ok: false, result: argsError("IPaddr", `"${args[0]}"`, "too many '/' fields (ip[/nn[/dev[/bcast]]])") };
  const [ip = "", netmask, dev, bcast] = fields;
  const given: Record<string, string> = { ip };
  if (netmask) given.netmask = netmask;
  if (dev) given.dev = dev;
  if (bcast) given.bcast = bcast;
  const parsed = IpaddrArgs.safeParse(given);
  if (!parsed.success) return { ok: false, result: zodArgsError("IPaddr", parsed.error, given) };
  const v = parsed.data;
  const value: IpaddrConfig = { ip: v.ip };
  if (v.netmask !== undefined) value.prefix = netmaskToPrefix(v.netmask);
  if (v.dev !== undefined) value.dev = v.dev;
  if (v.bcast !== undefined) value.bcast = v.bcast;
  return { ok: true, value };
}

export const ipaddrConfigError = (problem: string, argument = "dev"): ActionResult => ({
  rc: OCF.ERR_CONFIGURED,
  message: `IPaddr: ${argument}: ${problem}`,
});
