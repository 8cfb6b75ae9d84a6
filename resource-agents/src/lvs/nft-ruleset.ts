// Renders a virtual service as one nftables table (family ip, NAT hooks). Pure text, so the exact
// ruleset is unit-tested and the backend only pipes it to `nft -f -`.
//
// Shape: prerouting/output jump to `vs` for VIP:PORT; `vs` maps a counter or hash onto per-server
// chains `rs_K` (K = the server's place in the config), each of which DNATs to its real server.
// Every configured server has its chain (and persistence set) whether alive or not: only `vs` says
// who takes new connections, so a health change rewrites `vs` alone and the persistence sets of the
// servers that stay alive keep their clients (as IPVS keeps the templates of remaining destinations).
// Replies are un-NATed by conntrack, which is why NAT mode needs the real servers to route back
// through the director — or `masquerade` (postrouting SNAT).
import { bucketsFor, type BucketSelector } from "./scheduler.js";
import { serverKey, type VirtualService } from "./virtual-service.js";

/** Hashes are given a fixed seed: without one the kernel draws a random seed per rule, so a client
 *  would change real server whenever the table is rewritten (as IPVS's sh/dh never do). */
const SELECT: Record<BucketSelector, (mod: number) => string> = {
  numgen: (mod) => `numgen inc mod ${mod}`,
  "jhash-saddr": (mod) => `jhash ip saddr mod ${mod} seed 0x0`,
  "jhash-daddr": (mod) => `jhash ip daddr mod ${mod} seed 0x0`,
};

/** Real servers that take new connections: alive (in `liveServers`, keyed by `ip:port`) and weight above 0. */
export function activeServers(service: VirtualService, liveServers: ReadonlySet<string>) {
  return service.realServers
    .map((rs, index) => ({ rs, index }))
    .filter(({ rs }) => rs.weight > 0 && liveServers.has(serverKey(rs)));
}

/** A table name nft accepts, unique per virtual service: `vigil_lvs_<name>`. */
export function nftTableName(name: string): string {
  return `vigil_lvs_${name.replace(/[^A-Za-z0-9_]/g, "_")}`.slice(0, 64);
}

/** The rules of chain `vs` for this live set (without the chain header). */
export function renderVsRules(service: VirtualService, liveServers: ReadonlySet<string>): string[] {
  const active = activeServers(service, liveServers);
  const live = active.map(({ rs }) => serverKey(rs)).join(" ") || "none";
  const rules = [`# live: ${live}`];
  // Persistence (ipvsadm -p): a client found in a live server's set goes back to it.
  if (service.persistenceTimeoutS !== undefined) {
    for (const { index } of active) rules.push(`ip saddr @persist_${index} goto rs_${index}`);
  }
  const { selector, buckets } = bucketsFor(service.lbAlgo, active.map(({ rs }) => rs));
  if (buckets.length > 0) {
    const map = buckets.map((b, k) => `${k} : goto rs_${active[b]?.index}`).join(", ");
    rules.push(`${SELECT[selector](buckets.length)} vmap { ${map} }`);
  } else if (service.sorryServer) rules.push("goto sorry");
  return rules;
}

export function renderNftRuleset(service: VirtualService, liveServers: ReadonlySet<string>, tableName: string): string {
  const proto = service.protocol.toLowerCase();
  const persist = service.persistenceTimeoutS;
  const out: string[] = [`table ip ${tableName} {`];
  out.push(`  # ${service.vip}:${service.port} ${service.protocol} ${service.lbAlgo} ${service.lbKind}`);
  if (persist !== undefined) {
    service.realServers.forEach((_, k) => {
      out.push(`  set persist_${k} {`, "    type ipv4_addr", "    flags dynamic, timeout", `    timeout ${persist}s`, "  }");
    });
  }
  service.realServers.forEach((rs, k) => {
    // Each new connection refreshes the client's entry, so the timeout counts from its last connection.
    const remember = persist !== undefined ? ` update @persist_${k} { ip saddr }` : "";
    out.push(`  chain rs_${k} {`, `    meta l4proto ${proto}${remember} dnat ip to ${rs.ip}:${rs.port}`, "  }");
  });
  const sorry = service.sorryServer;
  if (sorry) out.push("  chain sorry {", `    meta l4proto ${proto} dnat ip to ${sorry.ip}:${sorry.port}`, "  }");
  out.push("  chain vs {", ...renderVsRules(service, liveServers).map((r) => `    ${r}`), "  }");

  const match = `ip daddr ${service.vip} ${proto} dport ${service.port} jump vs`;
  out.push("  chain prerouting {", "    type nat hook prerouting priority dstnat; policy accept;", `    ${match}`, "  }");
  // Connections the director itself opens to the VIP are balanced too, as IPVS does.
  out.push("  chain output {", "    type nat hook output priority -100; policy accept;", `    ${match}`, "  }");
  if (service.masquerade) {
    out.push("  chain postrouting {", "    type nat hook postrouting priority srcnat; policy accept;");
    for (const t of [...service.realServers, ...(sorry ? [sorry] : [])]) {
      out.push(`    ct status dnat ip daddr ${t.ip} ${proto} dport ${t.port} masquerade`);
    }
    out.push("  }");
  }
  out.push("}");
  return out.join("\n") + "\n";
}

/** One `nft -f` transaction that replaces the table atomically: the empty `table` makes the delete
 *  succeed when the table does not exist yet, and nft applies the whole file or nothing. */
export function nftReplaceScript(ruleset: string, tableName: string): string {
  return `table ip ${tableName} {}\ndelete table ip ${tableName}\n${ruleset}`;
}

/** The transaction for a health change: rewrite `vs` only, and forget the clients of servers that
 *  left (IPVS drops a removed destination's persistence templates), so they do not return to them. */
export function nftUpdateScript(
  service: VirtualService,
  prevLive: ReadonlySet<string>,
  nextLive: ReadonlySet<string>,
  tableName: string,
): string {
  const out = [`flush chain ip ${tableName} vs`];
  out.push(`table ip ${tableName} {`, "  chain vs {", ...renderVsRules(service, nextLive).map((r) => `    ${r}`), "  }", "}");
  if (service.persistenceTimeoutS !== undefined) {
    const before = new Set(activeServers(service, prevLive).map(({ index }) => index));
    const after = new Set(activeServers(service, nextLive).map(({ index }) => index));
    for (const k of before) if (!after.has(k)) out.push(`flush set ip ${tableName} persist_${k}`);
  }
  return out.join("\n") + "\n";
}

export function nftDeleteScript(tableName: string): string {
  return `table ip ${tableName} {}\ndelete table ip ${tableName}\n`;
}
