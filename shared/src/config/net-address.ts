// Address checks for ha.cf media and haresources. IPv4 only: heartbeat's media are IPv4, and the
// lab uses TEST-NET and 239.0.0.0/8.

/** The four octets of a dotted-quad IPv4 address, or undefined (no leading zeros, each 0..255). */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets as [number, number, number, number];
}

/** 224.0.0.0/4 (RFC 5771), the only groups `mcast` may join. */
export function isMulticastIPv4(text: string): boolean {
  const o = parseIPv4(text);
  return o !== undefined && o[0] >= 224 && o[0] <= 239;
}

/** A DNS-style host name (heartbeat's ucast peer may be a name that resolves). */
export function isHostName(text: string): boolean {
  return /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
    text,
  );
}

/** A UDP/TCP port 1..65535 written in decimal. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export type HostPort = { host: string; port?: number };

/** `host` or `host:port`; the host is an IPv4 address or a host name. */
export function parseHostPort(text: string): { ok: true; value: HostPort } | { ok: false; message: string } {
  const colon = text.lastIndexOf(":");
  const host = colon < 0 ? text : text.slice(0, colon);
  if (parseIPv4(host) === undefined && (!isHostName(host) || /^[\d.]+$/.test(host))) {
    return { ok: false, message: `"${host}" is not an IPv4 address or host name` };
  }
  if (colon < 0) return { ok: true, value: { host } };
  const port = parsePort(text.slice(colon + 1));
  if (port === undefined) return { ok: false, message: `"${text.slice(colon + 1)}" is not a port (1-65535)` };
  return { ok: true, value: { host, port } };
}
