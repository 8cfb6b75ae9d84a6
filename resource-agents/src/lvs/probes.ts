// The sockets behind keepalived's TCP_CHECK and HTTP_GET. Each probe is bounded by connect_timeout
// (keepalived applies it to the whole check, connect and answer), and never throws: the outcome is a value.
import { request } from "node:http";
import { connect } from "node:net";
import type { HealthCheck } from "./virtual-service.js";

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** Runs one check against a real server; injectable so the runner can be driven without sockets. */
export type Prober = (check: HealthCheck, ip: string, port: number) => Promise<ProbeResult>;

export function tcpConnectProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = connect({ host: ip, port });
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `TCP connect to ${ip}:${port} timed out after ${timeoutMs} ms` }), timeoutMs);
    sock.once("connect", () => done({ ok: true, detail: `TCP connect to ${ip}:${port} succeeded` }));
    sock.once("error", (e: NodeJS.ErrnoException) => done({ ok: false, detail: `TCP connect to ${ip}:${port}: ${e.code ?? e.message}` }));
  });
}

export function httpGetProbe(
  ip: string,
  port: number,
  path: string,
  expectStatus: number | undefined,
  timeoutMs: number,
  virtualhost?: string,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const where = `GET http://${ip}:${port}${path}`;
    let settled = false;
    const req = request({
      host: ip,
      port,
      path,
      method: "GET",
      agent: false, // a fresh connection per check, as keepalived makes
      headers: { host: virtualhost ?? `${ip}:${port}`, connection: "close", "user-agent": "vigil-lvs-check" },
    });
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, detail: `${where} timed out after ${timeoutMs} ms` }), timeoutMs);
    req.once("error", (e: NodeJS.ErrnoException) => done({ ok: false, detail: `${where}: ${e.code ?? e.message}` }));
    req.once("response", (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      // Without status_code keepalived accepts any 2xx.
      const ok = expectStatus === undefined ? status >= 200 && status < 300 : status === expectStatus;
      const want = expectStatus === undefined ? "2xx" : String(expectStatus);
      done({ ok, detail: `${where}: HTTP ${status}${ok ? "" : `, expected ${want}`}` });
    });
    req.end();
  });
}

/** The real prober: the check's own port (connect_port) or the server's; HTTP_GET checks each url in turn. */
export const socketProber: Prober = async (check, ip, port) => {
  const p = check.connectPort ?? port;
  if (check.kind === "TCP_CHECK") return tcpConnectProbe(ip, p, check.connectTimeoutMs);
  let last: ProbeResult = { ok: false, detail: "no url" };
  for (const url of check.urls) {
    last = await httpGetProbe(ip, p, url.path, url.statusCode, check.connectTimeoutMs, check.virtualhost);
    if (!last.ok) return last;
  }
  return last;
};
