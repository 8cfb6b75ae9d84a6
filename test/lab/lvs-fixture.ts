// The director side of the lab: real-server hosts on the lab bridge, each running a tiny HTTP server
// that answers with its name and the address it was reached from (so an answer says which director
// forwarded it), a keepalived-style service file for the lvs agent, and a client that fetches VIP:port
// a bounded number of times over fresh connections.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Lab } from "./lab.js";
import { LabProcess } from "./lab-process.js";
import { logHasLine } from "./log-watch.js";
import { LAB_SUBNET } from "./netns.js";
import { inNs, must, run } from "./sh.js";

export interface RealServer {
  name: string;
  addr: string;
  port: number;
}

// Runs inside a real server's namespace: `NAME REMOTE-ADDRESS`, one connection per request.
const SERVER = `
const http = require("node:http");
const [name, addr, port] = process.argv.slice(1);
const s = http.createServer((req, res) => {
  res.setHeader("connection", "close");
  res.end(name + " " + req.socket.remoteAddress.replace(/^::ffff:/, ""));
});
s.keepAliveTimeout = 0;
s.listen(Number(port), addr, () => console.log("listening"));
`;

/**
 * Adds one host per name to the lab's bridge (addresses .31, .32… of the lab subnet, clear of nodes,
 * client and NATS) and starts its HTTP server; the lab stops the servers and removes the hosts.
 */
export async function addRealServers(lab: Lab, names: readonly string[], port = 8080): Promise<RealServer[]> {
  const servers: RealServer[] = [];
  for (const [i, name] of names.entries()) {
    const host = await lab.net.addHost(name, `${LAB_SUBNET}.${31 + i}`);
    const log = join(lab.dir, `real-${name}.log`);
    lab.track(new LabProcess(`real-${name}`, inNs(host.ns, [process.execPath, "-e", SERVER, name, host.addr, String(port)]), log));
    servers.push({ name, addr: host.addr, port });
  }
  for (const s of servers) {
    if (!(await logHasLine(join(lab.dir, `real-${s.name}.log`), /^listening$/, 10_000))) {
      throw new Error(`lab: real server ${s.name} did not start listening on ${s.addr}:${s.port}`);
    }
  }
  return servers;
}

/** A director forwards: IPv4 forwarding on in `node`'s namespace (namespaces start with it off). */
export async function enableForwarding(lab: Lab, node: string): Promise<void> {
  await must(inNs(lab.host(node).ns, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]));
}

/**
 * One keepalived `virtual_server` block, round robin over NAT. `masquerade` (Vigil's extension):
 * the real servers share the client's flat subnet, so without SNAT their replies would go straight
 * to the client and never be un-NATed by the director.
 */
export function writeLvsService(file: string, vip: string, port: number, reals: readonly RealServer[]): string {
  const blocks = reals.map(
    (r) => `  real_server ${r.addr} ${r.port} {
    weight 1
    TCP_CHECK { connect_timeout 1  retry 2  delay_before_retry 0.5 }
  }`,
  );
  const text = [
    "# written by the Vigil test lab: the director's service, failing over with its group",
    `virtual_server ${vip} ${port} {`,
    "  delay_loop 1",
    "  lb_algo rr",
    "  lb_kind NAT",
    "  protocol TCP",
    "  masquerade",
    ...blocks,
    "}",
    "",
  ].join("\n");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

// Runs inside the client namespace: `count` sequential GETs, each on a new connection, each bounded.
const FETCH = `
const http = require("node:http");
const [url, count, timeoutMs] = process.argv.slice(1).map((x, i) => i === 0 ? x : Number(x));
(async () => {
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push(await new Promise((done) => {
      const q = http.get(url, { agent: false, timeout: timeoutMs }, (r) => {
        let b = ""; r.setEncoding("utf8");
        r.on("data", (d) => (b += d));
        r.on("end", () => done(r.statusCode === 200 ? b.trim() : "error:status " + r.statusCode));
        r.on("error", (e) => done("error:" + e.message));
      });
      q.on("timeout", () => q.destroy(new Error("timeout")));
      q.on("error", (e) => done("error:" + e.message));
    }));
  }
  console.log(JSON.stringify(out));
})();
`;

/** An answer: which real server, and the address the request reached it from (the director's). */
export interface Answer {
  server: string;
  from: string;
}

/** `count` fetches of `url` from the client, in order; a failed one is `{ server: "error:…" }`. */
export async function fetchFromClient(lab: Lab, url: string, count: number, timeoutMs = 1_500): Promise<Answer[]> {
  const argv = inNs(lab.host("c").ns, [process.execPath, "-e", FETCH, url, String(count), String(timeoutMs)]);
  const r = await run(argv, count * (timeoutMs + 500) + 5_000);
  if (r.code !== 0) throw new Error(`lab: client fetch of ${url} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return (JSON.parse(r.stdout) as string[]).map((b) => {
    const [server = "", from = ""] = b.startsWith("error:") ? [b] : b.split(" ");
    return { server, from };
  });
}

/** Fetches until one answer succeeds (an ARP cache still naming the old director, say); bounded. */
export async function firstAnswer(lab: Lab, url: string, timeoutMs: number): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer = { server: "error:never tried", from: "" };
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    [last] = (await fetchFromClient(lab, url, 1, 500)) as [Answer];
    if (!last.server.startsWith("error:")) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`lab: no answer from ${url} within ${timeoutMs} ms (last: ${last.server})`);
}

/** `nft list tables` in `node`'s namespace. */
export async function nftTablesOn(lab: Lab, node: string): Promise<string[]> {
  const out = await must(inNs(lab.host(node).ns, ["nft", "list", "tables"]));
  return out.split("\n").map((l) => l.trim()).filter(Boolean);
}
