// Tiny UDP multicast probes run inside lab namespaces, to check the wire itself (not Vigil):
// a listener that records what reaches it, and a sender that sends a bounded burst.
import { createInterface } from "node:readline";
import { LabProcess } from "./lab-process.js";
import { inNs, run } from "./sh.js";

const LISTENER = `
const dgram = require("node:dgram");
const [group, port, iface, maxMs] = process.argv.slice(1);
const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
s.on("message", (m, r) => console.log(JSON.stringify({ from: r.address, msg: m.toString() })));
s.bind(Number(port), () => { s.addMembership(group, iface); console.log("ready"); });
setTimeout(() => process.exit(0), Number(maxMs));
`;

const SENDER = `
const dgram = require("node:dgram");
const [group, port, iface, count, tag] = process.argv.slice(1);
const s = dgram.createSocket("udp4");
s.bind(0, iface, () => {
  s.setMulticastInterface(iface);
  s.setMulticastTTL(1);
  let i = 0;
  const t = setInterval(() => {
    s.send(tag + ":" + i, Number(port), group);
    if (++i >= Number(count)) { clearInterval(t); setTimeout(() => process.exit(0), 50); }
  }, 20);
});
`;

export interface McastListener {
  ready: Promise<void>;
  /** Resolves when the listener exits (after `maxMs`, or when stopped) with what it heard. */
  done: Promise<Array<{ from: string; msg: string }>>;
  stop(): Promise<unknown>;
}

export function listenMulticast(ns: string, group: string, port: number, ifaceAddr: string, maxMs: number, logFile: string): McastListener {
  const proc = new LabProcess(
    `mcast-listener-${ns}`,
    inNs(ns, [process.execPath, "-e", LISTENER, group, String(port), ifaceAddr, String(maxMs)]),
    logFile,
    { pipeStdout: true },
  );
  const heard: Array<{ from: string; msg: string }> = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  createInterface({ input: proc.child.stdout! }).on("line", (line) => {
    if (line === "ready") markReady();
    else heard.push(JSON.parse(line) as { from: string; msg: string });
  });
  // A listener that dies before "ready" must not leave the test hanging.
  void proc.exited.then(() => markReady());
  return { ready, done: proc.exited.then(() => heard), stop: () => proc.stop(2_000) };
}

/** Sends `count` datagrams tagged `tag` to the group from `ifaceAddr` in `ns`, 20 ms apart. */
export async function sendMulticast(ns: string, group: string, port: number, ifaceAddr: string, count: number, tag: string): Promise<void> {
  const r = await run(
    inNs(ns, [process.execPath, "-e", SENDER, group, String(port), ifaceAddr, String(count), tag]),
    5_000 + count * 40,
  );
  if (r.code !== 0) throw new Error(`lab: multicast sender in ${ns} failed: ${r.stderr.trim()}`);
}

/** One TCP/HTTP reachability check from `ns`: true when `url` answers within `timeoutS`. */
export async function httpReachable(ns: string, url: string, timeoutS = 2): Promise<boolean> {
  const r = await run(inNs(ns, ["curl", "-sf", "-o", "/dev/null", "--max-time", String(timeoutS), url]), (timeoutS + 3) * 1000);
  return r.code === 0;
}
