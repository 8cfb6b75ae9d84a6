// Reads an LVS virtual-service file written in keepalived's `virtual_server` syntax (the subset below),
// so an operator can paste the block from keepalived.conf. Keywords take a fixed number of values,
// so line breaks do not matter: `real_server 203.0.113.11 80 { weight 1 TCP_CHECK { connect_timeout 3 } }`
// parses the same on one line or many. `#` and `!` start comments, as in keepalived.conf.
//
//   virtual_server VIP PORT {
//     delay_loop S  lb_algo rr|wrr|lc|wlc|sh|dh  lb_kind NAT|DR|TUN  protocol TCP|UDP
//     persistence_timeout S  alpha  masquerade  sorry_server IP PORT
//     real_server IP PORT {
//       weight N  inhibit_on_failure
//       TCP_CHECK { connect_timeout S  retry N  delay_before_retry S  connect_port P }
//       HTTP_GET  { url { path /p  status_code 200 }  connect_timeout S  retry N  delay_before_retry S
//                   connect_port P  virtualhost NAME }
//     }
//   }
import type { ConfigError, Parsed } from "@vigil/shared/config/config-error";
import { type HealthCheck, type HttpUrl, LbAlgo, LbKind, type RealServer, type VirtualService } from "./virtual-service.js";

interface Token {
  text: string;
  line: number;
}

/** keepalived's defaults where the file is silent. */
export const LVS_DEFAULTS = {
  delayLoopMs: 60_000,
  lbAlgo: "wlc",
  lbKind: "NAT",
  protocol: "TCP",
  weight: 1,
  connectTimeoutMs: 5_000,
  retry: 1,
  delayBeforeRetryMs: 1_000,
} as const;

class Fail {
  constructor(
    readonly line: number,
    readonly message: string,
  ) {}
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    for (const word of raw.split(/\s+/)) {
      if (word === "") continue;
      if (word.startsWith("#") || word.startsWith("!")) break;
      // Braces may touch words ("{weight", "1}"); split them off.
      for (const piece of word.split(/([{}])/)) if (piece !== "") out.push({ text: piece, line });
    }
  });
  return out;
}

class Cursor {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly lastLine: number,
  ) {}
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  next(what: string): Token {
    const t = this.toks[this.i];
    if (!t) throw new Fail(this.lastLine, `unexpected end of file, expected ${what}`);
    this.i++;
    return t;
  }
  /** A value for `keyword`: must not be a brace. */
  value(keyword: Token, what: string): Token {
    const t = this.toks[this.i];
    if (!t || t.text === "{" || t.text === "}") throw new Fail(t?.line ?? keyword.line, `${keyword.text}: missing ${what}`);
    this.i++;
    return t;
  }
  open(after: Token): void {
    const t = this.toks[this.i];
    if (t?.text !== "{") throw new Fail(t?.line ?? after.line, `${after.text}: expected "{"`);
    this.i++;
  }
  /** Runs `each` for every keyword until the closing brace of the block opened after `owner`. */
  block(owner: Token, each: (kw: Token) => void): void {
    this.open(owner);
    for (;;) {
      const t = this.peek();
      if (!t) throw new Fail(this.lastLine, `${owner.text} block opened on line ${owner.line} is not closed`);
      this.i++;
      if (t.text === "}") return;
      if (t.text === "{") throw new Fail(t.line, `unexpected "{"`);
      each(t);
    }
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function ipv4(t: Token, what: string): string {
  if (!IPV4.test(t.text)) throw new Fail(t.line, `${what} "${t.text}" is not an IPv4 address`);
  return t.text;
}

function int(t: Token, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(t.text)) throw new Fail(t.line, `${what} "${t.text}" is not a whole number`);
  const n = Number(t.text);
  if (n < min || n > max) throw new Fail(t.line, `${what} ${n} is out of range ${min}..${max}`);
  return n;
}

const port = (t: Token, what: string) => int(t, what, 1, 65535);

/** keepalived timers are seconds and may carry a fraction (`delay_loop 0.5`). */
function seconds(t: Token, what: string): number {
  if (!/^\d+(\.\d+)?$/.test(t.text)) throw new Fail(t.line, `${what} "${t.text}" is not a number of seconds`);
  return Math.round(Number(t.text) * 1000);
}

function unknown(kw: Token, block: string): never {
  throw new Fail(kw.line, `unknown keyword "${kw.text}" in ${block}`);
}

function parseUrl(c: Cursor, owner: Token): HttpUrl {
  let path: string | undefined;
  let statusCode: number | undefined;
  c.block(owner, (kw) => {
    if (kw.text === "path") {
      const v = c.value(kw, "path");
      if (!v.text.startsWith("/")) throw new Fail(v.line, `path "${v.text}" must start with "/"`);
      path = v.text;
    } else if (kw.text === "status_code") statusCode = int(c.value(kw, "status code"), "status_code", 100, 599);
    else if (kw.text === "digest") c.value(kw, "digest"); // accepted for compatibility; Vigil checks status only
    else unknown(kw, "url");
  });
  if (path === undefined) throw new Fail(owner.line, "url: missing path");
  return statusCode === undefined ? { path } : { path, statusCode };
}

function parseCheck(c: Cursor, owner: Token): HealthCheck {
  const timing = {
    connectTimeoutMs: LVS_DEFAULTS.connectTimeoutMs as number,
    retry: LVS_DEFAULTS.retry as number,
    delayBeforeRetryMs: LVS_DEFAULTS.delayBeforeRetryMs as number,
    connectPort: undefined as number | undefined,
  };
  const urls: HttpUrl[] = [];
  let virtualhost: string | undefined;
  const http = owner.text === "HTTP_GET";
  c.block(owner, (kw) => {
    switch (kw.text) {
      case "connect_timeout":
        timing.connectTimeoutMs = seconds(c.value(kw, "seconds"), "connect_timeout");
        return;
      case "retry":
      case "nb_get_retry": // keepalived's older name for retry
        timing.retry = int(c.value(kw, "count"), kw.text, 0, 1000);
        return;
      case "delay_before_retry":
        timing.delayBeforeRetryMs = seconds(c.value(kw, "seconds"), "delay_before_retry");
        return;
      case "connect_port":
        timing.connectPort = port(c.value(kw, "port"), "connect_port");
        return;
    }
    if (http && kw.text === "url") urls.push(parseUrl(c, kw));
    else if (http && kw.text === "virtualhost") virtualhost = c.value(kw, "host name").text;
    else unknown(kw, owner.text);
  });
  if (timing.connectTimeoutMs === 0) throw new Fail(owner.line, `${owner.text}: connect_timeout must be above 0`);
  const base = { ...timing, connectPort: timing.connectPort };
  if (timing.connectPort === undefined) delete base.connectPort;
  if (!http) return { kind: "TCP_CHECK", ...base };
  if (urls.length === 0) throw new Fail(owner.line, "HTTP_GET: needs at least one url { path … }");
  return virtualhost === undefined ? { kind: "HTTP_GET", ...base, urls } : { kind: "HTTP_GET", ...base, urls, virtualhost };
}

function parseRealServer(c: Cursor, owner: Token): RealServer {
  const ip = ipv4(c.value(owner, "address"), "real_server address");
  const p = port(c.value(owner, "port"), "real_server port");
  const rs: RealServer = { ip, port: p, weight: LVS_DEFAULTS.weight, inhibitOnFailure: false, line: owner.line };
  c.block(owner, (kw) => {
    if (kw.text === "weight") rs.weight = int(c.value(kw, "weight"), "weight", 0, 65535);
    else if (kw.text === "inhibit_on_failure") rs.inhibitOnFailure = true;
    else if (kw.text === "TCP_CHECK" || kw.text === "HTTP_GET") {
      if (rs.check) throw new Fail(kw.line, `real_server ${ip} ${p}: only one health check per real server`);
      rs.check = parseCheck(c, kw);
    } else unknown(kw, "real_server");
  });
  return rs;
}

function parseVirtualServer(c: Cursor, owner: Token, file: string): VirtualService {
  const vip = ipv4(c.value(owner, "address"), "virtual_server address");
  const vport = port(c.value(owner, "port"), "virtual_server port");
  const vs: VirtualService = {
    file,
    vip,
    port: vport,
    protocol: LVS_DEFAULTS.protocol,
    lbAlgo: LVS_DEFAULTS.lbAlgo,
    lbKind: LVS_DEFAULTS.lbKind,
    delayLoopMs: LVS_DEFAULTS.delayLoopMs,
    alpha: false,
    masquerade: false,
    realServers: [],
  };
  c.block(owner, (kw) => {
    switch (kw.text) {
      case "delay_loop":
        vs.delayLoopMs = seconds(c.value(kw, "seconds"), "delay_loop");
        if (vs.delayLoopMs === 0) throw new Fail(kw.line, "delay_loop must be above 0");
        return;
      case "lb_algo": {
        const v = c.value(kw, "scheduler");
        const r = LbAlgo.safeParse(v.text);
        if (!r.success) throw new Fail(v.line, `lb_algo "${v.text}" is not one of ${LbAlgo.options.join(", ")}`);
        vs.lbAlgo = r.data;
        return;
      }
      case "lb_kind": {
        const v = c.value(kw, "forwarding method");
        // keepalived writes these in capitals; accept any case.
        const r = LbKind.safeParse(v.text.toUpperCase());
        if (!r.success) throw new Fail(v.line, `lb_kind "${v.text}" is not one of ${LbKind.options.join(", ")}`);
        vs.lbKind = r.data;
        return;
      }
      case "protocol": {
        const v = c.value(kw, "protocol");
        const up = v.text.toUpperCase();
        if (up !== "TCP" && up !== "UDP") throw new Fail(v.line, `protocol "${v.text}" is not TCP or UDP`);
        vs.protocol = up;
        return;
      }
      case "persistence_timeout":
        vs.persistenceTimeoutS = int(c.value(kw, "seconds"), "persistence_timeout", 1, 31_536_000);
        return;
      case "alpha":
        vs.alpha = true;
        return;
      case "masquerade":
        vs.masquerade = true;
        return;
      case "sorry_server": {
        const ip = ipv4(c.value(kw, "address"), "sorry_server address");
        vs.sorryServer = { ip, port: port(c.value(kw, "port"), "sorry_server port") };
        return;
      }
      case "real_server": {
        const rs = parseRealServer(c, kw);
        const dup = vs.realServers.find((o) => o.ip === rs.ip && o.port === rs.port);
        if (dup) throw new Fail(kw.line, `real_server ${rs.ip} ${rs.port} already defined on line ${dup.line}`);
        vs.realServers.push(rs);
        return;
      }
    }
    unknown(kw, "virtual_server");
  });
  if (vs.realServers.length === 0) throw new Fail(owner.line, `virtual_server ${vip} ${vport}: no real_server`);
  return vs;
}

/** Parses one `virtual_server` block; errors come back as `file:line: problem` values. */
export function parseLvsConfig(text: string, file: string): Parsed<VirtualService> {
  const toks = tokenize(text);
  const lastLine = Math.max(1, text.split("\n").length);
  const c = new Cursor(toks, lastLine);
  try {
    const first = c.peek();
    if (!first) throw new Fail(0, "no virtual_server block");
    c.next("virtual_server");
    if (first.text !== "virtual_server") throw new Fail(first.line, `expected "virtual_server", found "${first.text}"`);
    const vs = parseVirtualServer(c, first, file);
    const extra = c.peek();
    if (extra) throw new Fail(extra.line, `unexpected "${extra.text}" after the virtual_server block (one virtual service per file)`);
    return { ok: true, value: vs };
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    const err: ConfigError = { file, line: e.line, message: e.message };
    return { ok: false, errors: [err] };
  }
}
