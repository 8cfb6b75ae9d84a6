import { describe, expect, it } from "vitest";
import { formatConfigError, type Parsed } from "./config-error.js";
import { parseHaCf, parseHaCfDetailed } from "./hacf-parser.js";
import type { HaCf } from "./schemas.js";

const MINIMAL = "bcast eth0\nnode n1 n2\n";

function ok(text: string): HaCf {
  const r = parseHaCf(text);
  if (!r.ok) throw new Error(`expected a valid ha.cf, got:\n${r.errors.map(formatConfigError).join("\n")}`);
  return r.value;
}

function errors(r: Parsed<unknown>): string[] {
  if (r.ok) throw new Error("expected errors, the file was accepted");
  return r.errors.map(formatConfigError);
}

const errorsOf = (text: string, file?: string) => errors(parseHaCf(text, file));

describe("ha.cf defaults", () => {
  it("fills in heartbeat's defaults when only media and nodes are given", () => {
    const c = ok(MINIMAL);
    expect(c).toMatchObject({
      cluster: "vigil",
      keepaliveMs: 2000,
      deadtimeMs: 30_000,
      warntimeMs: 15_000,
      initdeadMs: 30_000,
      udpport: 694,
      autoFailback: "legacy",
      nats: [],
      pingNodes: [],
      allowCrc: false,
    });
    expect(c.ignored).toBeUndefined();
  });

  it("derives a missing warntime and initdead from the deadtime given", () => {
    const c = ok(`${MINIMAL}keepalive 1\ndeadtime 8\n`);
    expect(c.warntimeMs).toBe(4000);
    expect(c.initdeadMs).toBe(16_000);
  });
});

describe("ha.cf directives", () => {
  it("reads a full heartbeat file with comments, blank lines and trailing comments", () => {
    const c = ok(
      [
        "# heartbeat configuration",
        "",
        "logfile /var/log/ha-log",
        "debugfile /var/log/ha-debug",
        "logfacility local0",
        "debug 1",
        "use_logd no",
        "keepalive 500ms   # half a second",
        "warntime 2",
        "deadtime 5",
        "initdead 12.5",
        "udpport 695",
        "bcast eth0 eth1",
        "mcast eth2 239.0.0.7 694 1 0",
        "ucast eth3 198.51.100.2",
        "ucast lo 127.0.0.2:7001",
        "node n1 n2",
        "node n3",
        "ping 198.51.100.254 203.0.113.1",
        "auto_failback on",
        "  \t",
      ].join("\n"),
    );
    expect(c.keepaliveMs).toBe(500);
    expect(c.warntimeMs).toBe(2000);
    expect(c.deadtimeMs).toBe(5000);
    expect(c.initdeadMs).toBe(12_500);
    expect(c.udpport).toBe(695);
    expect(c.media).toEqual([
      { kind: "bcast", dev: "eth0", port: 695 },
      { kind: "bcast", dev: "eth1", port: 695 },
      { kind: "mcast", dev: "eth2", group: "239.0.0.7", port: 694, ttl: 1, loop: false },
      { kind: "ucast", dev: "eth3", peer: "198.51.100.2", port: 695 },
      { kind: "ucast", dev: "lo", peer: "127.0.0.2", port: 7001 },
    ]);
    expect(c.nodes).toEqual(["n1", "n2", "n3"]);
    expect(c.pingNodes).toEqual(["198.51.100.254", "203.0.113.1"]);
    expect(c.autoFailback).toBe("on");
    expect(c).toMatchObject({ logfile: "/var/log/ha-log", debugfile: "/var/log/ha-debug", logfacility: "local0", debug: 1 });
  });

  it("applies udpport to bcast and ucast lines written before it", () => {
    const c = ok("bcast eth0\nucast eth1 n2.example\nudpport 7000\nnode n1\n");
    expect(c.media.map((m) => m.port)).toEqual([7000, 7000]);
  });

  it("reads mcast's loop flag", () => {
    expect(ok("mcast eth0 224.1.2.3 5000 32 1\nnode n1\n").media[0]).toMatchObject({ ttl: 32, loop: true });
  });

  it.each([
    ["on", "on"],
    ["off", "off"],
    ["legacy", "legacy"],
    ["yes", "on"],
    ["true", "on"],
    ["no", "off"],
    ["false", "off"],
    ["LEGACY", "legacy"],
  ])("auto_failback %s means %s (heartbeat takes any boolean)", (value, expected) => {
    expect(ok(`${MINIMAL}auto_failback ${value}\n`).autoFailback).toBe(expected);
  });

  it("reads Vigil's extensions: nats, cluster, bind, fence, allow_crc", () => {
    const c = ok(
      `${MINIMAL}nats nats://127.0.0.1:4222 tls://nats.example:4223 127.0.0.1:4224\ncluster lab-3\nbind 127.0.0.1:7001\n` +
        "fence /usr/local/sbin/fence_lab --kill\nallow_crc yes\n",
    );
    expect(c.nats).toEqual(["nats://127.0.0.1:4222", "tls://nats.example:4223", "127.0.0.1:4224"]);
    expect(c.cluster).toBe("lab-3");
    expect(c.bind).toBe("127.0.0.1:7001");
    expect(c.fence).toEqual(["/usr/local/sbin/fence_lab", "--kill"]);
    expect(c.allowCrc).toBe(true);
  });

  it.each([
    ["on", true],
    ["yes", true],
    ["off", false],
  ])("require_fencing %s → requireFencing %s (absent: not set, i.e. off)", (value, expected) => {
    expect(ok(`${MINIMAL}require_fencing ${value}\n`).requireFencing).toBe(expected);
    expect(ok(MINIMAL).requireFencing).toBeUndefined();
  });

  it("tiebreaker nats → tiebreaker 'nats' (absent: none)", () => {
    expect(ok(`${MINIMAL}tiebreaker nats\n`).tiebreaker).toBe("nats");
    expect(ok(MINIMAL).tiebreaker).toBeUndefined();
  });

  it("accepts heartbeat directives that mean nothing to Vigil, and lists them", () => {
    const c = ok(`${MINIMAL}respawn hacluster /usr/lib/heartbeat/ipfail\napiauth ipfail gid=haclient\ncrm no\n`);
    expect(c.ignored).toEqual([
      { line: 3, directive: "respawn" },
      { line: 4, directive: "apiauth" },
    ]);
  });

  it("tells where each node was listed", () => {
    const d = parseHaCfDetailed("node a b\nbcast eth0\nnode C\n");
    expect([...d.nodeLines]).toEqual([["a", 1], ["b", 1], ["c", 3]]);
    expect(d.lastNodeLine).toBe(3);
  });
});

describe("ha.cf errors, each with file:line", () => {
  it("names an unknown directive", () => {
    const text = `${MINIMAL}${"#\n".repeat(11)}auto_failbackon\n`;
    expect(errorsOf(text)).toEqual(['ha.cf:14: unknown directive "auto_failbackon"']);
  });

  it("says so when mcast's device and group ran together", () => {
    expect(errorsOf("node n1\nmcast eth0239.0.0.1 694 1 0\n")).toEqual([
      'ha.cf:2: mcast: device and group ran together in "eth0239.0.0.1" (did you mean "mcast eth0 239.0.0.1 694 1 0"?)',
    ]);
  });

  it("says so when mcast has no device", () => {
    expect(errorsOf("node n1\nmcast 239.0.0.1 694 1 0\n")).toEqual([
      "ha.cf:2: mcast: the device is missing before group 239.0.0.1 (mcast takes 5 values: device group port ttl loop)",
    ]);
  });

  it.each([
    ["mcast eth0 198.51.100.1 694 1 0", "mcast: group 198.51.100.1 is not a multicast address (224.0.0.0/4)"],
    ["mcast eth0 240.0.0.1 694 1 0", "mcast: group 240.0.0.1 is not a multicast address (224.0.0.0/4)"],
    ["mcast eth0 239.0.0 694 1 0", 'mcast: "239.0.0" is not an IPv4 multicast group'],
    ["mcast eth0 239.0.0.1 0 1 0", 'mcast: "0" is not a port (1-65535)'],
    ["mcast eth0 239.0.0.1 65536 1 0", 'mcast: "65536" is not a port (1-65535)'],
    ["mcast eth0 239.0.0.1 694 0 0", 'mcast: ttl "0" must be 1-255'],
    ["mcast eth0 239.0.0.1 694 256 0", 'mcast: ttl "256" must be 1-255'],
    ["mcast eth0 239.0.0.1 694 1 2", 'mcast: loop "2" must be 0 or 1'],
    ["mcast eth0 239.0.0.1 694 1", "mcast takes 5 values: device group port ttl loop, got 4"],
    ["mcast averyveryverylongifname 239.0.0.1 694 1 0", 'mcast: "averyveryverylongifname" is not an interface name'],
    ["bcast", "bcast takes one or more devices"],
    ["bcast eth/0", 'bcast: "eth/0" is not an interface name'],
    ["ucast eth0", "ucast takes 2 values: device peer[:port], got 1"],
    ["ucast eth0 198.51.100.2:0", 'ucast: "0" is not a port (1-65535)'],
    ["ucast eth0 198.51.100.300", 'ucast: "198.51.100.300" is not an IPv4 address or host name'],
    ["udpport 70000", 'udpport: "70000" is not a port (1-65535)'],
    ["udpport 694 695", "udpport takes 1 value, got 2"],
    ["keepalive", "keepalive takes 1 value, got 0"],
    ["keepalive 2s", 'keepalive: "2s" is not a time (seconds, or milliseconds with "ms": 2, 0.5, 500ms)'],
    ["keepalive 0", "keepalive must be more than 0"],
    ["warntime 0ms", "warntime must be more than 0"],
    ["deadtime soon", 'deadtime: "soon" is not a time (seconds, or milliseconds with "ms": 2, 0.5, 500ms)'],
    ["auto_failback maybe", 'auto_failback: "maybe" must be on, off or legacy'],
    ["logfacility local9", 'logfacility: "local9" is not a syslog facility'],
    ["debug 300", 'debug: "300" must be a level 0-255'],
    ["use_logd perhaps", 'use_logd: "perhaps" must be yes or no'],
    ["allow_crc sure", 'allow_crc: "sure" must be yes or no'],
    ["ping 198.51.100.1:80", 'ping: "198.51.100.1:80" is not an IPv4 address or host name'],
    ["nats http://127.0.0.1:4222", 'nats: "http://127.0.0.1:4222" is not a server URL (nats://host:port)'],
    ["nats", "nats takes one or more server URLs"],
    ["cluster my.cluster", 'cluster: "my.cluster" may hold only letters, digits, "_" and "-"'],
    ["bind n1.example", 'bind: "n1.example" is not an IPv4 address[:port]'],
    ["fence", "fence takes a command and its arguments"],
    ["require_fencing always", 'require_fencing: "always" must be on or off'],
    ["require_fencing", "require_fencing takes 1 value, got 0"],
    ["tiebreaker ping", 'tiebreaker: "ping" is not a tie-breaker (the only one is `nats`: a lease on the NATS servers)'],
    ["tiebreaker nats ping", "tiebreaker takes 1 value, got 2"],
    ["node bad/name", 'node: "bad/name" is not a node name (letters, digits, ".", "_", "-")'],
    ["crm yes", 'crm yes: Pacemaker\'s CIB is not supported; Vigil reads haresources (use "crm no")'],
    ["serial /dev/ttyS0", "serial heartbeat links are not supported; use mcast, bcast or ucast"],
    ["stonith_host * ssh n1", 'heartbeat\'s stonith plugins are not supported; use "fence_agent fence_NAME key=value…" (a fence_* agent) or "fence COMMAND ARGS…"'],
    ["fence_agent", "fence_agent takes a fence agent (fence_NAME) and its key=value parameters"],
    ["fence_agent /usr/bin/ssh host=a", 'fence_agent: "/usr/bin/ssh" is not a fence agent of the fence_* family (for a command run with the victim\'s name appended, use "fence COMMAND ARGS…")'],
    ["fence_agent fence_xvm timeout", 'fence_agent: "timeout" is not a key=value parameter'],
    ["fence fence_ipmilan ipaddr=", 'fence: "ipaddr=" is not a key=value parameter'],
    ["fence_agent fence_xvm plug=vm1", "fence_agent: plug= is set by Vigil to the victim's node name (name each node's plug with pcmk_host_map=NODE:PLUG;…)"],
    ["fence_agent fence_xvm action=on", "fence_agent: action=on: Vigil fences with off or reboot"],
    ["fence_agent fence_xvm login=a login=b", "fence_agent: login is given twice"],
    ["fence_agent fence_xvm pcmk_delay_max=5", "fence_agent: pcmk_delay_max is not supported (Vigil reads pcmk_host_map and pcmk_host_argument)"],
    ["fence_agent fence_xvm pcmk_host_argument=uuid", "fence_agent: pcmk_host_argument=uuid must be plug, port or nodename"],
    ["fence_agent fence_xvm pcmk_host_map=n9", 'fence_agent: pcmk_host_map entry "n9" is not NODE:PLUG'],
    ["fence_agent fence_xvm pcmk_host_map=n8:vm8", 'pcmk_host_map: "n8" is not listed in any node directive'],
  ])("%s → %s", (line, message) => {
    // Line 3: after a valid medium and node, so only the bad line is reported.
    expect(errorsOf(`bcast eth9\nnode n9\n${line}\n`)).toEqual([`ha.cf:3: ${message}`]);
  });

  it("refuses a single-valued directive given twice, naming the first line", () => {
    expect(errorsOf(`${MINIMAL}keepalive 1\n\nkeepalive 2\n`)).toEqual(["ha.cf:5: keepalive is already set on line 3"]);
  });

  it("refuses a node listed twice, whatever its case", () => {
    expect(errorsOf("bcast eth0\nnode n1 n2\nnode N1\n")).toEqual(['ha.cf:3: node "N1" is already listed on line 2']);
  });

  it("uses the file name it is given", () => {
    expect(errorsOf("bogus\nbcast eth0\nnode n1\n", "/etc/ha.d/ha.cf")).toEqual([
      '/etc/ha.d/ha.cf:1: unknown directive "bogus"',
    ]);
  });

  it("collects every error, in line order, not only the first", () => {
    const text = ["keepalive x", "node n1", "mcast eth0 1.2.3.4 694 1 0", "frobnicate", "bcast eth0", "udpport -1"].join("\n");
    expect(errorsOf(text)).toEqual([
      'ha.cf:1: keepalive: "x" is not a time (seconds, or milliseconds with "ms": 2, 0.5, 500ms)',
      "ha.cf:3: mcast: group 1.2.3.4 is not a multicast address (224.0.0.0/4)",
      'ha.cf:4: unknown directive "frobnicate"',
      'ha.cf:6: udpport: "-1" is not a port (1-65535)',
    ]);
  });
});

describe("heartbeat's rules", () => {
  it("needs at least one medium", () => {
    expect(errorsOf("node n1\n")).toEqual(["ha.cf: no heartbeat medium: add a mcast, bcast or ucast line"]);
  });

  it("needs at least one node", () => {
    expect(errorsOf("bcast eth0\n")).toEqual(['ha.cf: no nodes: list the cluster\'s nodes with "node NAME…"']);
  });

  it("does not also say a medium is missing when the only medium line was wrong", () => {
    expect(errorsOf("node n1\nbcast\n")).toEqual(["ha.cf:2: bcast takes one or more devices"]);
  });

  it("needs deadtime to exceed twice keepalive, reported on the later line", () => {
    expect(errorsOf(`${MINIMAL}deadtime 4\nwarntime 3\nkeepalive 2\n`)).toEqual([
      "ha.cf:5: deadtime (4s) must be more than twice keepalive (2s)",
    ]);
    expect(errorsOf(`${MINIMAL}keepalive 2\nwarntime 3\ndeadtime 4\n`)).toEqual([
      "ha.cf:5: deadtime (4s) must be more than twice keepalive (2s)",
    ]);
  });

  it("compares a deadtime against the default keepalive", () => {
    expect(errorsOf(`${MINIMAL}deadtime 3\n`)).toEqual([
      "ha.cf:3: deadtime (3s) must be more than twice keepalive (2s, the default)",
    ]);
  });

  it("accepts deadtime just over twice keepalive", () => {
    expect(ok(`${MINIMAL}keepalive 100ms\nwarntime 150ms\ndeadtime 201ms\ninitdead 1\n`).deadtimeMs).toBe(201);
  });

  it("needs warntime longer than keepalive", () => {
    expect(errorsOf(`${MINIMAL}warntime 1\nkeepalive 1\ndeadtime 10\n`)).toEqual([
      "ha.cf:4: warntime (1s) must be longer than keepalive (1s)",
    ]);
  });

  it("needs warntime shorter than deadtime", () => {
    expect(errorsOf(`${MINIMAL}deadtime 10\nwarntime 10\n`)).toEqual([
      "ha.cf:4: warntime (10s) must be shorter than deadtime (10s)",
    ]);
    expect(errorsOf(`${MINIMAL}warntime 40\n`)).toEqual([
      "ha.cf:3: warntime (40s) must be shorter than deadtime (30s, the default)",
    ]);
  });

  it("needs initdead of at least deadtime", () => {
    expect(errorsOf(`${MINIMAL}initdead 10\ndeadtime 20\n`)).toEqual([
      "ha.cf:4: initdead (10s) must be at least deadtime (20s)",
    ]);
    expect(ok(`${MINIMAL}initdead 20\ndeadtime 20\n`).initdeadMs).toBe(20_000);
  });

  it("reports a bad deadtime once, not again through the warntime derived from it", () => {
    expect(errorsOf(`${MINIMAL}keepalive 600ms\ndeadtime 1\n`)).toEqual([
      "ha.cf:4: deadtime (1s) must be more than twice keepalive (600ms)",
    ]);
  });

  it("accepts the fast profile written out", () => {
    const c = ok(`${MINIMAL}keepalive 50ms\nwarntime 100ms\ndeadtime 200ms\ninitdead 2\n`);
    expect(c).toMatchObject({ keepaliveMs: 50, warntimeMs: 100, deadtimeMs: 200, initdeadMs: 2000 });
  });
});
