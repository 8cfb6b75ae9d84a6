import { describe, expect, it } from "vitest";
import { OCF } from "../agent-interface.js";
import { IPADDR_META } from "../ipaddr/ipaddr-args.js";
import { renderMetadataXml } from "../metadata.js";
import { parseOcfDuration, parseOcfMetadata } from "./ocf-metadata.js";
import { parseOcfSpec } from "./ocf-spec.js";

const XML = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Example" version="1.0">
<version>1.0</version>
<longdesc lang="en">Long &amp; detailed.</longdesc>
<shortdesc lang="en">An example</shortdesc>
<parameters>
<parameter name="ip" unique="1" required="1">
<longdesc lang="en">The address</longdesc>
<shortdesc lang="en">IPv4 or IPv6 address</shortdesc>
<content type="string" default="" />
</parameter>
<parameter name="count">
<shortdesc lang="en">How many</shortdesc>
<content type="integer" default="5"/>
</parameter>
</parameters>
<actions>
<action name="start"   timeout="90s" />
<action name="stop"    timeout="2min" />
<action name="status" depth="0"  timeout="15s" interval="30s" />
<action name="monitor" depth="0"  timeout="25" interval="7s" />
<action name="meta-data"  timeout="5s" />
<action name="validate-all"  timeout="20s" />
</actions>
</resource-agent>`;

describe("OCF meta-data", () => {
  it("reads parameters, required flags, defaults and action timeouts", () => {
    const info = parseOcfMetadata(XML, "fallback");
    if ("error" in info) throw new Error(info.error);
    expect(info.metadata.name).toBe("Example");
    expect(info.metadata.description).toBe("An example");
    expect(info.metadata.parameters).toEqual([
      { name: "ip", description: "IPv4 or IPv6 address", required: true, default: "" },
      { name: "count", description: "How many", required: false, default: "5" },
    ]);
    expect(info.metadata.timeouts).toEqual({ start: 90_000, stop: 120_000, monitor: 25_000 });
    expect(info.metadata.monitorIntervalMs).toBe(7_000);
    expect(info.actions.map((a) => a.name)).toContain("validate-all");
  });

  it("refuses text that is not meta-data", () => {
    expect(parseOcfMetadata("usage: foo {start|stop}", "foo")).toHaveProperty("error");
  });

  it("reads OCF durations", () => {
    expect(parseOcfDuration("20s")).toBe(20_000);
    expect(parseOcfDuration("20")).toBe(20_000);
    expect(parseOcfDuration("500ms")).toBe(500);
    expect(parseOcfDuration("2min")).toBe(120_000);
    expect(parseOcfDuration("1h")).toBe(3_600_000);
    expect(parseOcfDuration("soon")).toBeUndefined();
  });

  it("renders Vigil's own metadata as XML that reads back the same", () => {
    const xml = renderMetadataXml(IPADDR_META);
    const back = parseOcfMetadata(xml, "x");
    if ("error" in back) throw new Error(back.error);
    expect(back.metadata.name).toBe("IPaddr");
    expect(back.metadata.parameters.map((p) => [p.name, p.required])).toEqual(IPADDR_META.parameters.map((p) => [p.name, p.required]));
    expect(back.metadata.timeouts).toEqual(IPADDR_META.timeouts);
    expect(back.metadata.monitorIntervalMs).toBe(IPADDR_META.monitorIntervalMs);
  });
});

describe("ocf:PROVIDER:TYPE::name=value", () => {
  it("splits provider, type and parameters, keeping '=' inside values", () => {
    expect(parseOcfSpec("ocf:heartbeat:IPaddr2", ["ip=198.51.100.10", "opts=a=b"])).toEqual({
      ok: true,
      value: { provider: "heartbeat", type: "IPaddr2", params: { ip: "198.51.100.10", opts: "a=b" } },
    });
  });

  it.each([
    ["ocf:heartbeat:IPaddr2", ["198.51.100.10"], 'argument "198.51.100.10"'],
    ["ocf:heartbeat:IPaddr2", ["bad-name=1"], "bad-name"],
    ["ocf:heartbeat:IPaddr2", ["ip=1", "ip=2"], "ip"],
  ])("%s %j is refused with ERR_ARGS naming %s", (agent, args, name) => {
    const p = parseOcfSpec(agent, args);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.result.rc).toBe(OCF.ERR_ARGS);
      expect(p.result.message).toContain(`${agent}: ${name}`);
    }
  });

  it("refuses a provider or type that would leave resource.d", () => {
    const p = parseOcfSpec("ocf:..:Dummy", []);
    expect(p.ok || p.result.rc).toBe(OCF.ERR_CONFIGURED);
    expect(p.ok || p.result.message).toContain("provider");
  });
});
