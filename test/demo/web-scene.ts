// Scene 1: the floating IP in front of the HTTP service. Failover on link loss, failback (auto_failback
// on), standby/online, move/clear — each with the client's view.
import type { DemoCluster } from "./demo-cluster.js";
import { DEMO_TIMING, WEB } from "./demo-cluster.js";
import { clientStep, status, vigil, type StepResult } from "./demo-steps.js";
import { note, say } from "./narrate.js";

export interface Measured {
  step: string;
  from: string;
  to: string;
  outageMs: number;
}

const record = (out: Measured[], step: string, r: StepResult) =>
  out.push({ step, from: r.view.before ?? "-", to: r.node, outageMs: Math.round(r.view.outageMs) });

export async function webScene(c: DemoCluster, checkpoint: () => void): Promise<Measured[]> {
  const out: Measured[] = [];
  const opts = { probe: c.web, group: WEB.group, vip: WEB.vip };
  const t = DEMO_TIMING;

  say(`n1's link goes down (ip link set eth0 down in n1's namespace). Expect: n2/n3 declare n1 dead after deadtime (${t.deadtimeMs} ms),`);
  note("n1 sees no quorum and drops the address within its lease; a survivor adds it and sends gratuitous ARP.");
  const failover = await clientStep(c, { ...opts, awayFrom: "n1" }, () => c.lab.faults.linkDown("n1"));
  record(out, "n1 link down (failover)", failover);
  await status(c);
  checkpoint();

  say("n1's link comes back. auto_failback on: once n1 is a member again, the group returns to its preferred node");
  const failback = await clientStep(c, { ...opts, to: "n1" }, () => c.lab.faults.linkUp("n1"));
  record(out, "n1 link up (failback)", failback);
  checkpoint();

  say("Planned switchover: put n1 in standby. `--wait` returns once the group runs elsewhere");
  const standby = await clientStep(c, { ...opts, awayFrom: "n1" }, () => vigil(c, ["node", "standby", "n1", "--wait"]));
  record(out, "vigil node standby n1", standby);
  await status(c);
  checkpoint();

  say("n1 online again: the group goes home");
  const online = await clientStep(c, { ...opts, to: "n1" }, () => vigil(c, ["node", "online", "n1", "--wait"]));
  record(out, "vigil node online n1", online);
  checkpoint();

  say(`Move the group to n3 by hand (a lasting preference, like crm's cli-prefer)`);
  const move = await clientStep(c, { ...opts, to: "n3" }, () => vigil(c, ["resource", "move", WEB.group, "n3", "--wait"]));
  record(out, `vigil resource move ${WEB.group} n3`, move);
  await status(c);
  checkpoint();

  say("Clear the move: the preference for n1 applies again");
  const clear = await clientStep(c, { ...opts, to: "n1" }, () => vigil(c, ["resource", "clear", WEB.group, "--wait"]));
  record(out, `vigil resource clear ${WEB.group}`, clear);
  await status(c);
  return out;
}
