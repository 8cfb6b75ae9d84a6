// IPaddr for real, inside two namespaces joined by a veth pair that this test creates and removes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { runCommand } from "../exec/run-command.js";
import { IpaddrResource } from "./ipaddr-agent.js";
import { createVethPair, type VethPair } from "./veth-pair-fixture.js";
import type { AddressLease, LeasedAddress } from "./address-lease.js";

const T = { timeoutMs: 10_000 };
let lab: VethPair;

beforeAll(async () => {
  lab = await createVethPair("ip");
  // Let the peer learn new neighbours from gratuitous ARP, so the test can see the announcement arrive.
  await runCommand([...lab.wrapB, "sysctl", "-q", "-w", `net.ipv4.conf.${lab.devB}.arp_accept=1`], T);
});
afterAll(async () => {
  await lab?.destroy();
});

async function addressesOn(wrap: string[], dev: string): Promise<string[]> {
  const r = await runCommand([...wrap, "ip", "-j", "-4", "addr", "show", "dev", dev], T);
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

async function peerNeighbour(ip: string): Promise<string | undefined> {
  const r = await runCommand([...lab.wrapB, "ip", "-j", "neigh", "show", ip, "dev", lab.devB], T);
  const entries = JSON.parse(r.stdout || "[]") as { lladdr?: string }[];
  return entries[0]?.lladdr;
}

async function macOf(wrap: string[], dev: string): Promise<string> {
  const r = await runCommand([...wrap, "ip", "-j", "link", "show", "dev", dev], T);
  return (JSON.parse(r.stdout) as { address: string }[])[0]!.address;
}

describe("IPaddr in a namespace", () => {
  it("start adds the address on the interface found from the routing table, and the peer reaches it", async () => {
    const vip = new IpaddrResource("vip", ["198.51.100.10"], { wrap: lab.wrapA, arpCount: 2, arpIntervalMs: 100 });
    expect(vip.validate().rc).toBe(OCF.SUCCESS);
    expect((await vip.monitor(T)).rc).toBe(OCF.NOT_RUNNING);

    const started = await vip.start(T);
    expect(started).toMatchObject({ rc: OCF.SUCCESS });
    expect(await addressesOn(lab.wrapA, lab.devA)).toContain("198.51.100.10/24");
    expect((await vip.monitor(T)).rc).toBe(OCF.SUCCESS);

    // The gratuitous ARP reached the peer: it knows the VIP's MAC without having asked for it.
    const report = await vip.lastAnnouncement();
    expect(report).toMatchObject({ sent: true });
    expect(await peerNeighbour("198.51.100.10")).toBe(await macOf(lab.wrapA, lab.devA));

    // And the VIP answers an ARP request from the peer (this machine has no `ping`).
    const asked = await runCommand([...lab.wrapB, "arping", "-c", "1", "-w", "2", "-i", lab.devB, "198.51.100.10"], T);
    expect(asked.code).toBe(0);
    expect(asked.stdout.toLowerCase()).toContain(await macOf(lab.wrapA, lab.devA));

    expect((await vip.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(await addressesOn(lab.wrapA, lab.devA)).not.toContain("198.51.100.10/24");
    expect((await vip.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
  });

  it("start twice and stop twice both succeed, and the address is held once", async () => {
    const vip = new IpaddrResource("vip2", [`198.51.100.11/25/${lab.devA}`], { wrap: lab.wrapA, arpCount: 1 });
    try {
      expect((await vip.start(T)).rc).toBe(OCF.SUCCESS);
      expect((await vip.start(T)).rc).toBe(OCF.SUCCESS);
      const held = (await addressesOn(lab.wrapA, lab.devA)).filter((a) => a.startsWith("198.51.100.11/"));
      expect(held).toEqual(["198.51.100.11/25"]);
    } finally {
      expect((await vip.stop(T)).rc).toBe(OCF.SUCCESS);
      expect((await vip.stop(T)).rc).toBe(OCF.SUCCESS);
    }
    expect(await addressesOn(lab.wrapA, lab.devA)).not.toContain("198.51.100.11/25");
  });

  it("stop cancels a gratuitous ARP burst still under way", async () => {
    const vip = new IpaddrResource("vip3", ["198.51.100.12"], { wrap: lab.wrapA, arpCount: 20, arpIntervalMs: 500 });
    expect((await vip.start(T)).rc).toBe(OCF.SUCCESS);
    const t0 = performance.now();
    expect((await vip.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(await vip.lastAnnouncement()).toMatchObject({ cancelled: true });
    // A full burst would take ~9.5 s; cancelled, it ends with stop.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("refuses an address no connected route contains, naming the interface argument", async () => {
    const vip = new IpaddrResource("vip4", ["203.0.113.77"], { wrap: lab.wrapA });
    const r = await vip.start(T);
    expect(r.rc).toBe(OCF.ERR_CONFIGURED);
    expect(r.message).toContain("IPaddr: dev:");
    expect(await addressesOn(lab.wrapA, lab.devA)).not.toContain("203.0.113.77/32");
  });

  it("a start of an address already in place announces it again (the neighbours may have learnt another MAC meanwhile)", async () => {
    const ip = "198.51.100.13";
    await runCommand([...lab.wrapA, "ip", "addr", "add", `${ip}/24`, "dev", lab.devA], T);
    // The peer believes another host owns the address, as a client does after a failover.
    await runCommand([...lab.wrapB, "ip", "neigh", "replace", ip, "lladdr", "02:00:5e:00:00:99", "dev", lab.devB, "nud", "stale"], T);
    const vip = new IpaddrResource("vip5", [ip], { wrap: lab.wrapA, arpCount: 2, arpIntervalMs: 100 });
    try {
      const r = await vip.start(T);
      expect(r).toMatchObject({ rc: OCF.SUCCESS });
      expect(r.message).toContain("already on");
      expect(await vip.lastAnnouncement()).toMatchObject({ sent: true });
      expect(await peerNeighbour(ip)).toBe(await macOf(lab.wrapA, lab.devA));
    } finally {
      await vip.stop(T);
    }
  });

  it("with a lease, the address carries its lifetime, is handed to the lease on start and taken back before stop deletes it", async () => {
    const ip = "198.51.100.14";
    const calls: string[] = [];
    const lease: AddressLease = {
      lifetimeS: 1,
      hold: (a: LeasedAddress) => void calls.push(`hold ${a.ip}/${a.prefix} ${a.dev}`),
      release: async (a) => void calls.push(`release ${a.ip}`),
    };
    const vip = new IpaddrResource("vip6", [ip], { wrap: lab.wrapA, arpCount: 1, lease });
    expect((await vip.start(T)).rc).toBe(OCF.SUCCESS);
    const r = await runCommand([...lab.wrapA, "ip", "-j", "-4", "addr", "show", "dev", lab.devA], T);
    const info = (JSON.parse(r.stdout) as { addr_info: { local: string; valid_life_time: number }[] }[])[0]!.addr_info.find((a) => a.local === ip);
    expect(info?.valid_life_time).toBeLessThanOrEqual(1);
    expect(calls).toEqual([`hold ${ip}/24 ${lab.devA}`]);
    // Nobody renews it here: the kernel itself removes it once its lifetime runs out.
    const t0 = performance.now();
    for (let i = 0; i < 100 && (await addressesOn(lab.wrapA, lab.devA)).includes(`${ip}/24`); i++) await new Promise((res) => setTimeout(res, 50));
    expect(await addressesOn(lab.wrapA, lab.devA)).not.toContain(`${ip}/24`);
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect((await vip.monitor(T)).rc).toBe(OCF.NOT_RUNNING);
    expect((await vip.stop(T)).rc).toBe(OCF.SUCCESS);
    expect(calls).toEqual([`hold ${ip}/24 ${lab.devA}`, `release ${ip}`]);
  });
});
