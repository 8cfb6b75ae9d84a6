// Opens one UDP socket per distinct local endpoint that ha.cf's media need (the I/O edge):
//   mcast: bound to group:port, joined on the device's address (heartbeat's `mcast dev group port ttl loop`);
//   bcast: bound to the device's broadcast address:udpport, SO_BROADCAST on;
//   ucast: bound to `bind` (or the device's address):udpport, sending to each peer.
// Binding mcast/bcast sockets to the group/broadcast address (not 0.0.0.0) keeps each medium's
// traffic on its own socket and leaves the unicast address free for ucast.
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { networkInterfaces } from "node:os";
import type { HaCf, Medium } from "@vigil/shared/config/schemas";
import { deviceAddress, parseIpAddrJson, splitHostPort, type DeviceAddress } from "./interface-addresses.js";

export interface Target {
  address: string;
  port: number;
}

export interface Endpoint {
  /** For messages: `mcast eth1 239.0.0.1:694`. */
  label: string;
  socket: dgram.Socket;
  targets: Target[];
}

export type OpenResult = { ok: true; endpoints: Endpoint[] } | { ok: false; error: string };

interface Plan {
  label: string;
  bindAddress: string;
  port: number;
  reuseAddr: boolean;
  targets: Target[];
  setup: (s: dgram.Socket) => void;
}

/** The device's address from Node, else from iproute2 (which also sees devices without carrier). */
async function lookupDevice(dev: string): Promise<DeviceAddress> {
  const fromNode = deviceAddress(networkInterfaces(), dev);
  if (fromNode.ok) return fromNode;
  const out = await new Promise<string | null>((resolve) => {
    execFile("ip", ["-j", "-4", "addr", "show", "dev", dev], { timeout: 5000 }, (err, stdout) =>
      resolve(err ? null : stdout),
    );
  });
  return out === null ? fromNode : parseIpAddrJson(out, dev);
}

async function planMedia(haCf: HaCf): Promise<{ ok: true; plans: Plan[] } | { ok: false; error: string }> {
  const plans = new Map<string, Plan>();
  const describe = (m: Medium) =>
    m.kind === "mcast" ? `mcast ${m.dev} ${m.group}:${m.port}` : m.kind === "bcast" ? `bcast ${m.dev}` : `ucast ${m.dev} ${m.peer}`;
  for (const m of haCf.media) {
    const fail = (why: string) => ({ ok: false as const, error: `heartbeat medium "${describe(m)}": ${why}` });
    if (m.kind === "ucast") {
      let local: { host: string; port: number };
      if (haCf.bind) {
        const b = splitHostPort(haCf.bind, m.port);
        if (!b.ok) return fail(`bind: ${b.error}`);
        local = b;
      } else {
        const dev = await lookupDevice(m.dev);
        if (!dev.ok) return fail(dev.error);
        local = { host: dev.address, port: m.port };
      }
      const key = `ucast ${local.host}:${local.port}`;
      const plan = plans.get(key) ?? {
        label: key,
        bindAddress: local.host,
        port: local.port,
        reuseAddr: false,
        targets: [],
        setup: () => {},
      };
      plans.set(key, plan);
      // heartbeat's ha.cf is the same on every node, so it lists a ucast line to ourselves too.
      const self = m.peer === local.host && m.port === local.port;
      if (!self && !plan.targets.some((t) => t.address === m.peer && t.port === m.port)) {
        plan.targets.push({ address: m.peer, port: m.port });
      }
      continue;
    }
    const dev = await lookupDevice(m.dev);
    if (!dev.ok) return fail(dev.error);
    if (m.kind === "bcast") {
      const key = `bcast ${m.dev} ${dev.broadcast}:${m.port}`;
      plans.set(key, {
        label: key,
        bindAddress: dev.broadcast,
        port: m.port,
        reuseAddr: true,
        targets: [{ address: dev.broadcast, port: m.port }],
        setup: (s) => s.setBroadcast(true),
      });
    } else {
      const key = `mcast ${m.dev} ${m.group}:${m.port}`;
      plans.set(key, {
        label: key,
        bindAddress: m.group,
        port: m.port,
        reuseAddr: true,
        targets: [{ address: m.group, port: m.port }],
        setup: (s) => {
          s.addMembership(m.group, dev.address);
          s.setMulticastInterface(dev.address);
          s.setMulticastTTL(m.ttl);
          s.setMulticastLoopback(m.loop);
        },
      });
    }
  }
  return { ok: true, plans: [...plans.values()] };
}

/** A datagram, the medium it came in on, and its sender's `address:port`. */
export type OnDatagram = (msg: Buffer, label: string, from: string) => void;

function bindOne(plan: Plan, onMessage: OnDatagram, onError: (e: Error) => void) {
  return new Promise<Endpoint>((resolve, reject) => {
    const socket = dgram.createSocket({ type: "udp4", reuseAddr: plan.reuseAddr });
    const failBind = (e: Error) => {
      socket.close();
      reject(new Error(`${plan.label}: cannot bind ${plan.bindAddress}:${plan.port}: ${e.message}`));
    };
    socket.once("error", failBind);
    socket.bind({ address: plan.bindAddress, port: plan.port, exclusive: false }, () => {
      socket.off("error", failBind);
      // After bind, a socket error (ICMP-reported, say) is counted by the caller, never fatal.
      socket.on("error", onError);
      try {
        plan.setup(socket);
      } catch (e) {
        socket.close();
        reject(new Error(`${plan.label}: ${(e as Error).message}`));
        return;
      }
      socket.on("message", (msg, rinfo) => onMessage(msg, plan.label, `${rinfo.address}:${rinfo.port}`));
      resolve({ label: plan.label, socket, targets: plan.targets });
    });
  });
}

/** Opens every medium or none: on any failure the sockets already open are closed. */
export async function openMedia(
  haCf: HaCf,
  onMessage: OnDatagram,
  onError: (e: Error) => void,
): Promise<OpenResult> {
  const planned = await planMedia(haCf);
  if (!planned.ok) return planned;
  const results = await Promise.allSettled(planned.plans.map((p) => bindOne(p, onMessage, onError)));
  const endpoints = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  if (failed.length > 0) {
    closeMedia(endpoints);
    return { ok: false, error: `heartbeat: ${failed.join("; ")}` };
  }
  return { ok: true, endpoints };
}

export function closeMedia(endpoints: Endpoint[]): Promise<void> {
  return Promise.all(
    endpoints.map((e) => new Promise<void>((resolve) => {
      try {
        e.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    })),
  ).then(() => {});
}
