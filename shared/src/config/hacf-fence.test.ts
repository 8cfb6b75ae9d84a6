import { describe, expect, it } from "vitest";
import { parseHaCf } from "./hacf-parser.js";
import { configWarnings } from "./config-warnings.js";
import { fenceAgentInput, isStdinFenceAgent } from "./hacf-fence.js";

const BASE = "bcast eth0\nnode n1 n2\n";
const parsed = (extra: string) => {
  const r = parseHaCf(BASE + extra);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}: ${e.message}`).join("; "));
  return r.value;
};
const errorsOf = (text: string) => {
  const r = parseHaCf(text);
  return r.ok ? [] : r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`);
};

describe("ha.cf fence agents (fence_* family, stdin interface)", () => {
  it("reads fence_agent AGENT key=value…, with Pacemaker's pcmk_host_map and pcmk_host_argument", () => {
    const h = parsed("fence_agent fence_ipmilan ipaddr=203.0.113.9 login=admin passwd=s3cret lanplus=1 action=off pcmk_host_map=n1:bmc-1;n2:bmc-2 pcmk_host_argument=port\n");
    expect(h.fence).toBeUndefined();
    expect(h.fenceAgent).toEqual({
      agent: "fence_ipmilan",
      params: { ipaddr: "203.0.113.9", login: "admin", passwd: "s3cret", lanplus: "1" },
      action: "off",
      hostArgument: "port",
      hostMap: { n1: "bmc-1", n2: "bmc-2" },
    });
  });

  it("detects `fence fence_NAME key=value…` as the same stdin agent; defaults: action=reboot, plug=NODE", () => {
    const h = parsed("fence /usr/sbin/fence_xvm multicast_address=225.0.0.12\n");
    expect(h.fence).toBeUndefined();
    expect(h.fenceAgent).toEqual({ agent: "/usr/sbin/fence_xvm", params: { multicast_address: "225.0.0.12" }, action: "reboot", hostArgument: "plug", hostMap: {} });
    expect(parsed("fence fence_dummy\n").fenceAgent?.agent).toBe("fence_dummy");
  });

  it("keeps today's form: a command with arguments gets the victim's name appended", () => {
    expect(parsed("fence /usr/local/sbin/fence-node --hard\n")).toMatchObject({ fence: ["/usr/local/sbin/fence-node", "--hard"] });
    // A fence_* command with a non key=value argument is today's form too.
    expect(isStdinFenceAgent(["/usr/local/sbin/fence_lab", "--kill"])).toBe(false);
    expect(parsed("fence /usr/local/sbin/fence_lab --kill\n").fenceAgent).toBeUndefined();
  });

  it("refuses both forms at once, naming the first line", () => {
    expect(errorsOf(`${BASE}fence /bin/true\nfence_agent fence_xvm\n`)).toEqual(["ha.cf:4: fence_agent: fence is already set on line 3; configure one fence agent"]);
  });

  it("writes the agent's stdin: the parameters, then action and the victim's plug (mapped, else its name)", () => {
    const h = parsed("fence_agent fence_apc ipaddr=203.0.113.5 login=apc passwd=apc pcmk_host_map=n2:7\n");
    expect(fenceAgentInput(h.fenceAgent!, "n2")).toBe("ipaddr=203.0.113.5\nlogin=apc\npasswd=apc\naction=reboot\nplug=7\n");
    expect(fenceAgentInput(h.fenceAgent!, "n1")).toBe("ipaddr=203.0.113.5\nlogin=apc\npasswd=apc\naction=reboot\nplug=n1\n");
  });

  it("a two-node cluster with a fence agent in either syntax is not warned about missing fencing", () => {
    const warned = (extra: string) => configWarnings(parsed(extra), "ha.cf", new Map(), 2).filter((w) => /fence/.test(w.message));
    expect(warned("")).toHaveLength(1);
    expect(warned("fence_agent fence_xvm\n")).toEqual([]);
    expect(warned("fence fence_xvm key_file=/etc/cluster/fence_xvm.key\n")).toEqual([]);
    expect(warned("fence /usr/local/sbin/fence-node\n")).toEqual([]);
  });
});
