// The duplicate-agent tests' lab: three agents, one bare-VIP group `web` preferred on n1, started
// and waited for; and the truth of who holds the VIP, read from a node's namespace.
import { is, type EventTail, type LoggedEvent } from "./event-tail.js";
import { createLab, type Lab } from "./lab.js";
import { LAB_PREFIXLEN } from "./netns.js";
import { must } from "./sh.js";

export interface WebOnN1 {
  l: Lab;
  tail: EventTail;
  /** n1's first GroupStarted of web. */
  firstStarted: LoggedEvent;
  /** Whether `node`'s eth0 holds the VIP now. */
  holds(node: string): Promise<boolean>;
}

export async function startWebOnN1(vip: string, o: { media?: (l: Lab) => string[] } = {}): Promise<WebOnN1> {
  const l = await createLab({ nodes: ["n1", "n2", "n3"], natsServers: 1, client: true });
  l.writeConfigs({
    ...(o.media ? { media: o.media(l) } : {}),
    haresources: `n1 group=web IPaddr::${vip}/${LAB_PREFIXLEN}/eth0\n`,
    extra: ["auto_failback on"],
  });
  for (const n of l.nodes) l.agents.start(n);
  const tail = l.tail();
  let firstStarted: LoggedEvent;
  try {
    firstStarted = await tail.waitFor((e) => is("GroupStarted", { node: "n1" })(e) && e.group === "web", 45_000, "web started on n1");
  } catch (e) {
    console.error(l.diagnostics());
    await l.destroy();
    throw e;
  }
  const holds = async (node: string) => {
    const out = await must(["ip", "-j", "-n", l.host(node).ns, "-4", "addr", "show", "dev", "eth0"]);
    return (JSON.parse(out) as Array<{ addr_info?: Array<{ local: string }> }>).some((x) => (x.addr_info ?? []).some((a) => a.local === vip));
  };
  return { l, tail, firstStarted, holds };
}
