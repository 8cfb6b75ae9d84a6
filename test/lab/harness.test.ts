// The lab itself, before any Vigil code runs in it: the wire, multicast, NATS, faults and teardown.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab, leftoverNamespaces, natsAddr, type Lab } from "./lab.js";
import { listNamespaces } from "./netns.js";
import { httpReachable, listenMulticast, sendMulticast } from "./probes.js";
import { isPidAlive, makeRunPrefix } from "./run-prefix.js";
import { sweepDeadRuns } from "./sweep.js";

/** Sends a burst from `from` and returns, per listener node, the tags it heard. */
async function multicastRound(lab: Lab, from: string, to: string[], tag: string): Promise<Record<string, number>> {
  const { group, port } = lab.mcast;
  const listeners = to.map((n) =>
    listenMulticast(lab.host(n).ns, group, port, lab.host(n).addr, 1_500, join(lab.dir, `probe-${n}-${tag}.log`)),
  );
  await Promise.all(listeners.map((l) => l.ready));
  await sendMulticast(lab.host(from).ns, group, port, lab.host(from).addr, 5, tag);
  const heard = await Promise.all(listeners.map((l) => l.done));
  return Object.fromEntries(to.map((n, i) => [n, heard[i]!.filter((h) => h.msg.startsWith(`${tag}:`)).length]));
}

/** A dead leader is still reported by the others until they elect anew (a few seconds in nats-server). */
async function pollLeaderOtherThan(lab: Lab, old: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const l = await lab.nats.waitMetaLeader(5_000).catch(() => old);
    if (l !== old) return l;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no new JetStream leader after ${old} was killed`);
}

describe("the network-namespace lab", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ nodes: ["n1", "n2", "n3"], natsServers: 3, client: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it("gives every host its own namespace, with names unique to this run", async () => {
    const mine = await leftoverNamespaces(lab.prefix);
    expect(mine.sort()).toEqual(
      ["br", "c", "n1", "n2", "n3", "s1", "s2", "s3"].map((h) => `${lab.prefix}-${h}`).sort(),
    );
  });

  it("lets the client reach each NATS server across the bridge", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await httpReachable(lab.host("c").ns, `http://${natsAddr(i)}:8222/varz`)).toBe(true);
    }
  });

  it("carries multicast from one node to every other across the bridge", async () => {
    const heard = await multicastRound(lab, "n1", ["n2", "n3"], "all");
    expect(heard.n2).toBeGreaterThan(0);
    expect(heard.n3).toBeGreaterThan(0);
  });

  it("forms a JetStream cluster that elects a new leader when its leader is killed, and takes it back on restart", async () => {
    const leader = await lab.nats.waitMetaLeader();
    const i = Number(/^vlab-s([123])$/.exec(leader)?.[1]) - 1;
    expect(i).toBeGreaterThanOrEqual(0);
    const killedPid = lab.nats.server(i).proc!.pid;
    await lab.nats.kill(i);
    expect(isPidAlive(killedPid)).toBe(false);
    const next = await pollLeaderOtherThan(lab, leader);
    expect(next).toMatch(/^vlab-s[123]$/);
    await lab.nats.restart(i);
    expect(lab.nats.server(i).proc!.pid).not.toBe(killedPid);
    expect(existsSync(join(lab.nats.server(i).storeDir, "jetstream"))).toBe(true);
  });

  it("cuts a node off from chosen peers with nftables, and heals", async () => {
    await lab.faults.partition(["n1"], ["n2"]);
    try {
      const cut = await multicastRound(lab, "n1", ["n2", "n3"], "cut");
      expect(cut.n2).toBe(0);
      expect(cut.n3).toBeGreaterThan(0);
    } finally {
      await lab.faults.healAll();
    }
    const healed = await multicastRound(lab, "n1", ["n2"], "healed");
    expect(healed.n2).toBeGreaterThan(0);
  });

  it("installs a packet-loss rule in the node's own namespace only", async () => {
    await lab.faults.loss("n3", 30);
    try {
      const rules = execFileSync("ip", ["netns", "exec", lab.host("n3").ns, "nft", "list", "table", "inet", lab.faults.tableName]).toString();
      expect(rules).toMatch(/numgen random mod 100 < 30/);
      const root = execFileSync("nft", ["list", "tables"]).toString();
      expect(root).not.toContain(lab.faults.tableName);
    } finally {
      await lab.faults.heal("n3");
    }
  });

  it("takes a node's link down so nothing reaches it, and back up with multicast working again", async () => {
    await lab.faults.linkDown("n2");
    try {
      const down = await multicastRound(lab, "n1", ["n2", "n3"], "down");
      expect(down.n2).toBe(0);
      expect(down.n3).toBeGreaterThan(0);
    } finally {
      await lab.faults.linkUp("n2");
    }
    const heard = await multicastRound(lab, "n2", ["n1"], "up");
    expect(heard.n1).toBeGreaterThan(0);
  });
});

describe("lab teardown", () => {
  it("leaves no namespace, process or temp dir behind", async () => {
    const lab = await createLab({ nodes: ["n1", "n2"], natsServers: 1, client: true });
    const pids = lab.nats.pids();
    expect(pids.length).toBe(1);
    await lab.faults.partition(["n1"], ["n2"]);
    await lab.destroy();
    expect(await leftoverNamespaces(lab.prefix)).toEqual([]);
    for (const pid of pids) expect(isPidAlive(pid)).toBe(false);
    expect(existsSync(lab.dir)).toBe(false);
  });

  it("sweeps namespaces left by a run whose process is dead, and spares live runs", async () => {
    const deadPid = Number(execFileSync(process.execPath, ["-e", "console.log(process.pid)"]).toString().trim());
    expect(isPidAlive(deadPid)).toBe(false);
    const deadNs = `${makeRunPrefix(deadPid)}-zz`;
    const liveNs = `${makeRunPrefix(process.pid)}-zz`;
    execFileSync("ip", ["netns", "add", deadNs]);
    execFileSync("ip", ["netns", "add", liveNs]);
    try {
      const report = await sweepDeadRuns();
      expect(report.namespaces).toContain(deadNs);
      const left = await listNamespaces();
      expect(left).not.toContain(deadNs);
      expect(left).toContain(liveNs);
    } finally {
      for (const ns of [deadNs, liveNs]) {
        try {
          execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
        } catch {
          /* swept already */
        }
      }
    }
  });
});
