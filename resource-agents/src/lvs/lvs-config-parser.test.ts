import { describe, expect, it } from "vitest";
import { formatConfigError } from "@vigil/shared/config/config-error";
import { parseLvsConfig } from "./lvs-config-parser.js";

const FILE = "/etc/vigil/lvs/web.conf";

const KEEPALIVED_STYLE = `# web farm
virtual_server 198.51.100.10 80 {
    delay_loop 2
    lb_algo wrr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP
    sorry_server 203.0.113.99 8080

    real_server 203.0.113.11 8080 {
        weight 3
        TCP_CHECK {
            connect_timeout 3
            retry 3
            delay_before_retry 1
        }
    }
    real_server 203.0.113.12 8080 {   ! keepalived comment style
        weight 1
        inhibit_on_failure
        HTTP_GET {
            url {
              path /health
              status_code 200
            }
            connect_timeout 0.5
            nb_get_retry 2
            connect_port 9000
            virtualhost www.example.org
        }
    }
}
`;

function errorsOf(text: string): string[] {
  const r = parseLvsConfig(text, FILE);
  if (r.ok) throw new Error("expected a parse error");
  return r.errors.map(formatConfigError);
}

describe("lvs config parser", () => {
  it("reads a keepalived virtual_server block with both check kinds", () => {
    const r = parseLvsConfig(KEEPALIVED_STYLE, FILE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      file: FILE,
      vip: "198.51.100.10",
      port: 80,
      protocol: "TCP",
      lbAlgo: "wrr",
      lbKind: "NAT",
      persistenceTimeoutS: 50,
      delayLoopMs: 2000,
      alpha: false,
      masquerade: false,
      sorryServer: { ip: "203.0.113.99", port: 8080 },
      realServers: [
        {
          ip: "203.0.113.11",
          port: 8080,
          weight: 3,
          inhibitOnFailure: false,
          line: 10,
          check: { kind: "TCP_CHECK", connectTimeoutMs: 3000, retry: 3, delayBeforeRetryMs: 1000 },
        },
        {
          ip: "203.0.113.12",
          port: 8080,
          weight: 1,
          inhibitOnFailure: true,
          line: 18,
          check: {
            kind: "HTTP_GET",
            connectTimeoutMs: 500,
            retry: 2,
            delayBeforeRetryMs: 1000,
            connectPort: 9000,
            urls: [{ path: "/health", statusCode: 200 }],
            virtualhost: "www.example.org",
          },
        },
      ],
    });
  });

  it("parses the same block written on one line, filling keepalived's defaults", () => {
    const r = parseLvsConfig(
      "virtual_server 198.51.100.10 53 { protocol udp real_server 203.0.113.11 53 {TCP_CHECK {}} real_server 203.0.113.12 53 {} }",
      FILE,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.protocol).toBe("UDP");
    expect(r.value.lbAlgo).toBe("wlc");
    expect(r.value.lbKind).toBe("NAT");
    expect(r.value.delayLoopMs).toBe(60_000);
    expect(r.value.persistenceTimeoutS).toBeUndefined();
    expect(r.value.realServers[0]?.check).toEqual({ kind: "TCP_CHECK", connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000 });
    expect(r.value.realServers[1]?.check).toBeUndefined();
    expect(r.value.realServers[1]?.weight).toBe(1);
  });

  it("names the file and line of an unknown scheduler", () => {
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n  lb_algo fastest\n  real_server 203.0.113.11 80 {}\n}")).toEqual([
      `${FILE}:2: lb_algo "fastest" is not one of rr, wrr, lc, wlc, sh, dh`,
    ]);
  });

  it("refuses a bad address, port, weight and number with their lines", () => {
    const base = (inner: string) => `virtual_server 198.51.100.10 80 {\n${inner}\n}`;
    expect(errorsOf(base("real_server 203.0.113.300 80 {}"))).toEqual([
      `${FILE}:2: real_server address "203.0.113.300" is not an IPv4 address`,
    ]);
    expect(errorsOf(base("real_server 203.0.113.1 70000 {}"))).toEqual([`${FILE}:2: real_server port 70000 is out of range 1..65535`]);
    expect(errorsOf(base("real_server 203.0.113.1 80 {\n weight -1 }"))).toEqual([`${FILE}:3: weight "-1" is not a whole number`]);
    expect(errorsOf(base("delay_loop soon\nreal_server 203.0.113.1 80 {}"))).toEqual([
      `${FILE}:2: delay_loop "soon" is not a number of seconds`,
    ]);
  });

  it("refuses unknown keywords, a missing value and an unclosed block", () => {
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n  real_server 203.0.113.11 80 {\n    SMTP_CHECK {}\n  }\n}")).toEqual([
      `${FILE}:3: unknown keyword "SMTP_CHECK" in real_server`,
    ]);
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n  delay_loop\n}")).toEqual([`${FILE}:3: delay_loop: missing seconds`]);
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n  real_server 203.0.113.11 80 {\n")).toEqual([
      `${FILE}:3: real_server block opened on line 2 is not closed`,
    ]);
  });

  it("requires a real server, a url for HTTP_GET and one service per file", () => {
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n}")).toEqual([`${FILE}:1: virtual_server 198.51.100.10 80: no real_server`]);
    expect(errorsOf("virtual_server 198.51.100.10 80 {\n real_server 203.0.113.11 80 {\n  HTTP_GET { connect_timeout 1 }\n }\n}")).toEqual([
      `${FILE}:3: HTTP_GET: needs at least one url { path … }`,
    ]);
    const two = "virtual_server 198.51.100.10 80 { real_server 203.0.113.11 80 {} }\nvirtual_server 198.51.100.10 81 {}";
    expect(errorsOf(two)).toEqual([
      `${FILE}:2: unexpected "virtual_server" after the virtual_server block (one virtual service per file)`,
    ]);
  });

  it("refuses a real server defined twice", () => {
    const text = "virtual_server 198.51.100.10 80 {\n real_server 203.0.113.11 80 {}\n real_server 203.0.113.11 80 {}\n}";
    expect(errorsOf(text)).toEqual([`${FILE}:3: real_server 203.0.113.11 80 already defined on line 2`]);
  });

  it("reports an empty file at line 0", () => {
    expect(errorsOf("# nothing here\n")).toEqual([`${FILE}: no virtual_server block`]);
  });
});
