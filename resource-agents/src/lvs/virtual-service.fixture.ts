// A virtual service for the lvs unit tests: two real servers on 203.0.113.11/12:8080, weights 3 and 1.
import type { RealServer, VirtualService } from "./virtual-service.js";

export const testRealServer = (ip: string, weight: number, extra: Partial<RealServer> = {}): RealServer => ({
  ip,
  port: 8080,
  weight,
  inhibitOnFailure: false,
  line: 1,
  ...extra,
});

export const testService = (extra: Partial<VirtualService> = {}): VirtualService => ({
  file: "web.conf",
  vip: "198.51.100.10",
  port: 80,
  protocol: "TCP",
  lbAlgo: "rr",
  lbKind: "NAT",
  delayLoopMs: 1000,
  alpha: false,
  masquerade: false,
  realServers: [testRealServer("203.0.113.11", 3), testRealServer("203.0.113.12", 1)],
  ...extra,
});
