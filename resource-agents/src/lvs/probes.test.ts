import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGetProbe, socketProber, tcpConnectProbe } from "./probes.js";

// Loopback only: an HTTP server answering /health 200 and /broken 503, and a TCP server that accepts
// connections but never answers (to hold a check until its connect_timeout).
let http: Server;
let silent: TcpServer;
const held = new Set<Socket>();
let httpPort = 0;
let silentPort = 0;
let closedPort = 0;

beforeAll(async () => {
  http = createServer((req, res) => {
    res.statusCode = req.url === "/health" ? 200 : 503;
    res.end(req.headers.host ?? "");
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  httpPort = (http.address() as AddressInfo).port;
  silent = createTcpServer((s) => held.add(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  silentPort = (silent.address() as AddressInfo).port;
  // A port that was just free: nothing listens there.
  const tmp = createTcpServer();
  await new Promise<void>((r) => tmp.listen(0, "127.0.0.1", r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => http.close(() => r()));
  await new Promise<void>((r) => silent.close(() => r()));
});

describe("health check probes", () => {
  it("TCP_CHECK passes on a listening port and fails on a closed one", async () => {
    expect((await tcpConnectProbe("127.0.0.1", httpPort, 1000)).ok).toBe(true);
    const r = await tcpConnectProbe("127.0.0.1", closedPort, 1000);
    expect(r).toEqual({ ok: false, detail: `TCP connect to 127.0.0.1:${closedPort}: ECONNREFUSED` });
  });

  it("HTTP_GET passes on the expected status and names the status it got otherwise", async () => {
    expect((await httpGetProbe("127.0.0.1", httpPort, "/health", 200, 1000)).ok).toBe(true);
    const r = await httpGetProbe("127.0.0.1", httpPort, "/broken", 200, 1000);
    expect(r).toEqual({ ok: false, detail: `GET http://127.0.0.1:${httpPort}/broken: HTTP 503, expected 200` });
    // Without status_code any 2xx passes, and 503 does not.
    expect((await httpGetProbe("127.0.0.1", httpPort, "/health", undefined, 1000)).ok).toBe(true);
    expect((await httpGetProbe("127.0.0.1", httpPort, "/broken", undefined, 1000)).detail).toContain("expected 2xx");
  });

  it("HTTP_GET gives up after connect_timeout on a server that never answers", async () => {
    const t0 = performance.now();
    const r = await httpGetProbe("127.0.0.1", silentPort, "/health", 200, 300);
    const took = performance.now() - t0;
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("timed out after 300 ms");
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
  });

  it("the prober uses connect_port and checks every url in turn", async () => {
    const base = { connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 1000, connectPort: httpPort };
    const good = await socketProber({ kind: "HTTP_GET", ...base, urls: [{ path: "/health", statusCode: 200 }] }, "127.0.0.1", 1);
    expect(good.ok).toBe(true);
    const bad = await socketProber(
      { kind: "HTTP_GET", ...base, urls: [{ path: "/health", statusCode: 200 }, { path: "/broken", statusCode: 200 }] },
      "127.0.0.1",
      1,
    );
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain("/broken");
    expect((await socketProber({ kind: "TCP_CHECK", ...base }, "127.0.0.1", 1)).ok).toBe(true);
  });
});
