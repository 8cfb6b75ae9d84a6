import { describe, expect, it } from "vitest";
import { nftDeleteScript, nftReplaceScript, nftTableName, nftUpdateScript, renderNftRuleset } from "./nft-ruleset.js";
import { testRealServer, testService } from "./virtual-service.fixture.js";

const rs = testRealServer;
const service = testService;

const ALL = new Set(["203.0.113.11:8080", "203.0.113.12:8080"]);

describe("nft ruleset", () => {
  it("renders rr as a counter over per-server DNAT chains", () => {
    expect(renderNftRuleset(service(), ALL, "t1")).toBe(`table ip t1 {
  # 198.51.100.10:80 TCP rr NAT
  chain rs_0 {
    meta l4proto tcp dnat ip to 203.0.113.11:8080
  }
  chain rs_1 {
    meta l4proto tcp dnat ip to 203.0.113.12:8080
  }
  chain vs {
    # live: 203.0.113.11:8080 203.0.113.12:8080
    numgen inc mod 2 vmap { 0 : goto rs_0, 1 : goto rs_1 }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 198.51.100.10 tcp dport 80 jump vs
  }
  chain output {
    type nat hook output priority -100; policy accept;
    ip daddr 198.51.100.10 tcp dport 80 jump vs
  }
}
`);
  });

  it("renders wrr with servers repeated by weight, and persistence as timed per-server sets", () => {
    const text = renderNftRuleset(service({ lbAlgo: "wrr", persistenceTimeoutS: 50 }), ALL, "t1");
    expect(text).toContain(`  set persist_0 {
    type ipv4_addr
    flags dynamic, timeout
    timeout 50s
  }
  set persist_1 {`);
    expect(text).toContain("    meta l4proto tcp update @persist_0 { ip saddr } dnat ip to 203.0.113.11:8080\n");
    expect(text).toContain(`  chain vs {
    # live: 203.0.113.11:8080 203.0.113.12:8080
    ip saddr @persist_0 goto rs_0
    ip saddr @persist_1 goto rs_1
    numgen inc mod 4 vmap { 0 : goto rs_0, 1 : goto rs_0, 2 : goto rs_0, 3 : goto rs_1 }
  }`);
  });

  it("renders sh and dh as hashes of source and destination", () => {
    expect(renderNftRuleset(service({ lbAlgo: "sh" }), ALL, "t1")).toContain(
      "    jhash ip saddr mod 4 seed 0x0 vmap { 0 : goto rs_0, 1 : goto rs_0, 2 : goto rs_0, 3 : goto rs_1 }\n",
    );
    expect(renderNftRuleset(service({ lbAlgo: "dh" }), ALL, "t1")).toContain(
      "    jhash ip daddr mod 2 seed 0x0 vmap { 0 : goto rs_0, 1 : goto rs_1 }\n",
    );
  });

  it("leaves a dead server and a quiesced one out of the vs map, keeping every server's chain", () => {
    const svc = service({ realServers: [rs("203.0.113.11", 1), rs("203.0.113.12", 0), rs("203.0.113.13", 1)] });
    const live = new Set(["203.0.113.12:8080", "203.0.113.13:8080"]);
    const text = renderNftRuleset(svc, live, "t1");
    expect(text).toContain("  chain rs_0 {\n");
    expect(text).toContain(`  chain vs {
    # live: 203.0.113.13:8080
    numgen inc mod 1 vmap { 0 : goto rs_2 }
  }`);
  });

  it("rewrites only the vs chain on a health change and forgets the clients of a server that left", () => {
    const svc = service({ persistenceTimeoutS: 50 });
    expect(nftUpdateScript(svc, ALL, new Set(["203.0.113.12:8080"]), "t1")).toBe(`flush chain ip t1 vs
table ip t1 {
  chain vs {
    # live: 203.0.113.12:8080
    ip saddr @persist_1 goto rs_1
    numgen inc mod 1 vmap { 0 : goto rs_1 }
  }
}
flush set ip t1 persist_0
`);
    expect(nftUpdateScript(svc, new Set(["203.0.113.12:8080"]), ALL, "t1")).not.toContain("flush set");
  });

  it("sends everything to the sorry server while no real server is alive", () => {
    const text = renderNftRuleset(service({ sorryServer: { ip: "203.0.113.99", port: 80 } }), new Set(), "t1");
    expect(text).toContain(`  chain sorry {
    meta l4proto tcp dnat ip to 203.0.113.99:80
  }
  chain vs {
    # live: none
    goto sorry
  }`);
  });

  it("matches UDP and adds postrouting masquerade when asked", () => {
    const text = renderNftRuleset(service({ protocol: "UDP", masquerade: true }), ALL, "t1");
    expect(text).toContain("    ip daddr 198.51.100.10 udp dport 80 jump vs\n");
    expect(text).toContain(`  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ct status dnat ip daddr 203.0.113.11 udp dport 8080 masquerade
    ct status dnat ip daddr 203.0.113.12 udp dport 8080 masquerade
  }`);
  });

  it("wraps the table in a replace transaction that also works when it does not exist", () => {
    expect(nftReplaceScript("table ip t1 {\n}\n", "t1")).toBe("table ip t1 {}\ndelete table ip t1\ntable ip t1 {\n}\n");
    expect(nftDeleteScript("t1")).toBe("table ip t1 {}\ndelete table ip t1\n");
  });

  it("makes table names nft accepts", () => {
    expect(nftTableName("web-farm.1")).toBe("vigil_lvs_web_farm_1");
  });
});
