// ha.cf's heartbeat media: `mcast`, `bcast` and `ucast` lines. `bcast` and `ucast` use `udpport`,
// which may come later in the file, so they are returned without a port and finished by the caller.
import { isMulticastIPv4, parseHostPort, parseIPv4, parsePort } from "./net-address.js";
import type { Medium } from "./schemas.js";

/** A medium as read from its line; `port` is absent where `udpport` applies. */
export type MediumDraft =
  | Extract<Medium, { kind: "mcast" }>
  | { kind: "bcast"; dev: string }
  | { kind: "ucast"; dev: string; peer: string; port?: number };

export type MediaResult = { ok: true; media: MediumDraft[] } | { ok: false; messages: string[] };

/** Linux interface names: at most 15 characters, no slash or blank (IFNAMSIZ). */
export function isInterfaceName(s: string): boolean {
  return /^[A-Za-z0-9_.:@-]{1,15}$/.test(s) && s !== "." && s !== "..";
}

export function parseMcast(args: string[]): MediaResult {
  const usage = "mcast takes 5 values: device group port ttl loop";
  if (args.length !== 5) {
    const joined = args.length === 4 ? splitDeviceAndGroup(args[0] ?? "") : undefined;
    if (joined) {
      const fixed = ["mcast", joined.dev, joined.group, ...args.slice(1)].join(" ");
      return { ok: false, messages: [`mcast: device and group ran together in "${args[0]}" (did you mean "${fixed}"?)`] };
    }
    if (args.length === 4 && isMulticastIPv4(args[0] ?? "")) {
      return { ok: false, messages: [`mcast: the device is missing before group ${args[0]} (${usage})`] };
    }
    return { ok: false, messages: [`${usage}, got ${args.length}`] };
  }
  const [dev, group, portText, ttlText, loopText] = args as [string, string, string, string, string];
  const messages: string[] = [];
  if (!isInterfaceName(dev)) messages.push(`mcast: "${dev}" is not an interface name`);
  if (!isMulticastIPv4(group)) {
    messages.push(
      parseIPv4(group)
        ? `mcast: group ${group} is not a multicast address (224.0.0.0/4)`
        : `mcast: "${group}" is not an IPv4 multicast group`,
    );
  }
  const port = parsePort(portText);
  if (port === undefined) messages.push(`mcast: "${portText}" is not a port (1-65535)`);
  const ttl = /^\d{1,3}$/.test(ttlText) ? Number(ttlText) : NaN;
  if (!(ttl >= 1 && ttl <= 255)) messages.push(`mcast: ttl "${ttlText}" must be 1-255`);
  if (loopText !== "0" && loopText !== "1") messages.push(`mcast: loop "${loopText}" must be 0 or 1`);
  if (messages.length > 0 || port === undefined) return { ok: false, messages };
  return { ok: true, media: [{ kind: "mcast", dev, group, port, ttl, loop: loopText === "1" }] };
}

export function parseBcast(args: string[]): MediaResult {
  if (args.length === 0) return { ok: false, messages: ["bcast takes one or more devices"] };
  const bad = args.filter((d) => !isInterfaceName(d));
  if (bad.length > 0) return { ok: false, messages: bad.map((d) => `bcast: "${d}" is not an interface name`) };
  return { ok: true, media: args.map((dev) => ({ kind: "bcast" as const, dev })) };
}

/** `ucast dev peer`; heartbeat takes one peer, Vigil also accepts `peer:port` (loopback clusters). */
export function parseUcast(args: string[]): MediaResult {
  if (args.length !== 2) return { ok: false, messages: [`ucast takes 2 values: device peer[:port], got ${args.length}`] };
  const [dev, peerText] = args as [string, string];
  const messages: string[] = [];
  if (!isInterfaceName(dev)) messages.push(`ucast: "${dev}" is not an interface name`);
  const peer = parseHostPort(peerText);
  if (!peer.ok) messages.push(`ucast: ${peer.message}`);
  if (messages.length > 0 || !peer.ok) return { ok: false, messages };
  const medium: MediumDraft = { kind: "ucast", dev, peer: peer.value.host };
  if (peer.value.port !== undefined) medium.port = peer.value.port;
  return { ok: true, media: [medium] };
}

/** Give `bcast` and port-less `ucast` media the final `udpport`. */
export function finishMedia(drafts: MediumDraft[], udpport: number): Medium[] {
  return drafts.map((d) => (d.kind === "mcast" ? d : { ...d, port: d.kind === "ucast" ? (d.port ?? udpport) : udpport }));
}

/** `eth0239.0.0.1` → eth0 + 239.0.0.1: the one split whose tail is a multicast group. */
function splitDeviceAndGroup(token: string): { dev: string; group: string } | undefined {
  const found: { dev: string; group: string }[] = [];
  for (let i = 1; i < token.length; i++) {
    const dev = token.slice(0, i);
    const group = token.slice(i);
    if (isInterfaceName(dev) && isMulticastIPv4(group)) found.push({ dev, group });
  }
  return found.length === 1 ? found[0] : undefined;
}
