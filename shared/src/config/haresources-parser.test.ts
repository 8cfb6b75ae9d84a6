import { describe, expect, it } from "vitest";
import { formatConfigError, type Parsed } from "./config-error.js";
import { parseHaresources } from "./haresources-parser.js";
import type { GroupSpec } from "./schemas.js";

function ok(text: string): GroupSpec[] {
  const r = parseHaresources(text);
  if (!r.ok) throw new Error(`expected valid haresources, got:\n${r.errors.map(formatConfigError).join("\n")}`);
  return r.value;
}

function errorsOf(text: string, file?: string): string[] {
  const r: Parsed<GroupSpec[]> = parseHaresources(text, file);
  if (r.ok) throw new Error("expected errors, the file was accepted");
  return r.errors.map(formatConfigError);
}

describe("haresources groups", () => {
  it("reads heartbeat's classic line: node, IPaddr with arguments, scripts", () => {
    expect(ok("# web\nn1 IPaddr::198.51.100.10/24/eth0 httpd smb\n")).toEqual([
      {
        id: "IPaddr::198.51.100.10/24/eth0",
        preferredNode: "n1",
        line: 2,
        resources: [
          { id: "IPaddr::198.51.100.10/24/eth0", agent: "IPaddr", args: ["198.51.100.10/24/eth0"] },
          { id: "httpd", agent: "httpd", args: [] },
          { id: "smb", agent: "smb", args: [] },
        ],
      },
    ]);
  });

  it("reads a bare address as IPaddr with that argument", () => {
    const [g] = ok("n1 198.51.100.10 198.51.100.11/24/eth1/198.51.100.255\n");
    expect(g?.id).toBe("198.51.100.10");
    expect(g?.resources).toEqual([
      { id: "198.51.100.10", agent: "IPaddr", args: ["198.51.100.10"] },
      { id: "198.51.100.11/24/eth1/198.51.100.255", agent: "IPaddr", args: ["198.51.100.11/24/eth1/198.51.100.255"] },
    ]);
  });

  it("passes several :: arguments in order", () => {
    const [g] = ok("n2 drbddisk::r0 Filesystem::/dev/drbd0::/srv/nfs::ext4 nfs-kernel-server\n");
    expect(g?.resources.map((r) => [r.agent, r.args])).toEqual([
      ["drbddisk", ["r0"]],
      ["Filesystem", ["/dev/drbd0", "/srv/nfs", "ext4"]],
      ["nfs-kernel-server", []],
    ]);
  });

  it("keeps ocf:provider:type as the agent and name=value as arguments", () => {
    const [g] = ok("n1 ocf:heartbeat:IPaddr2::ip=198.51.100.20::cidr_netmask=24 ocf:heartbeat:Dummy\n");
    expect(g?.resources).toEqual([
      {
        id: "ocf:heartbeat:IPaddr2::ip=198.51.100.20::cidr_netmask=24",
        agent: "ocf:heartbeat:IPaddr2",
        args: ["ip=198.51.100.20", "cidr_netmask=24"],
      },
      { id: "ocf:heartbeat:Dummy", agent: "ocf:heartbeat:Dummy", args: [] },
    ]);
  });

  it("names a group with group=NAME right after the node", () => {
    const [g] = ok("n1 group=web 198.51.100.10 httpd\n");
    expect(g?.id).toBe("web");
    expect(g?.resources.map((r) => r.id)).toEqual(["198.51.100.10", "httpd"]);
  });

  it("joins continued lines and keeps the group's first line", () => {
    const groups = ok("n1 198.51.100.10 \\\n   Filesystem::/dev/sdb1::/srv::ext4 \\\n   httpd\n\nn2 198.51.100.11 # db\n");
    expect(groups.map((g) => [g.id, g.line, g.resources.length])).toEqual([
      ["198.51.100.10", 1, 3],
      ["198.51.100.11", 5, 1],
    ]);
  });

  it("keeps groups in file order and accepts an empty file", () => {
    expect(ok("n2 a\nn1 b\nn2 c\n").map((g) => g.id)).toEqual(["a", "b", "c"]);
    expect(ok("# nothing yet\n\n")).toEqual([]);
  });
});

describe("haresources errors, each with file:line", () => {
  it("points at the physical line of a bad word inside a continued group", () => {
    expect(errorsOf("n1 198.51.100.10 \\\n  httpd \\\n  ::oops\n")).toEqual(['haresources:3: empty resource name in "::oops"']);
  });

  it("refuses a group id used twice, on the later line", () => {
    expect(errorsOf("n1 httpd\nn2 group=httpd 198.51.100.9\n")).toEqual([
      'haresources:2: group "httpd" is already defined on line 1',
    ]);
  });

  it("refuses a resource in two groups", () => {
    expect(errorsOf("n1 group=a drbddisk::r0 httpd\nn2 group=b drbddisk::r0\n")).toEqual([
      'haresources:2: resource "drbddisk::r0" is already in group "a" (line 1)',
    ]);
  });

  it("sees one address written two ways as one resource", () => {
    expect(errorsOf("n1 198.51.100.10\nn2 group=b IPaddr::198.51.100.10/24\n")).toEqual([
      'haresources:2: resource "IPaddr::198.51.100.10/24" is already in group "198.51.100.10" (line 1)',
    ]);
  });

  it("refuses a resource twice in one group", () => {
    expect(errorsOf("n1 httpd httpd\n")).toEqual(['haresources:1: resource "httpd" appears twice in this group']);
  });

  it("refuses a node with no resources", () => {
    expect(errorsOf("n1 httpd\nn2\nn3 group=x\n")).toEqual([
      'haresources:2: node "n2" has no resources',
      'haresources:3: node "n3" has no resources',
    ]);
  });

  it.each([
    ["bad/node httpd", '"bad/node" is not a node name (each line starts with the preferred node)'],
    ["n1 Filesystem::/dev/sdb1::::ext4", 'empty argument 2 in "Filesystem::/dev/sdb1::::ext4"'],
    ["n1 httpd::", 'empty argument 1 in "httpd::"'],
    ["n1 198.51.100.300", '"198.51.100.300" is not an IPv4 address'],
    ["n1 198.51.100.1/33", '"198.51.100.1/33": netmask bits "33" must be 0-32'],
    ["n1 198.51.100.1/24/eth0/1.2.3", '"198.51.100.1/24/eth0/1.2.3": broadcast "1.2.3" is not an IPv4 address'],
    ["n1 ocf:heartbeat::ip=1", '"ocf:heartbeat" is not an OCF agent (ocf:provider:type)'],
    ["n1 ocf:heartbeat:IPaddr2::198.51.100.1", 'OCF parameter "198.51.100.1" in "ocf:heartbeat:IPaddr2::198.51.100.1" is not name=value'],
    ["n1 httpd group=web", '"group=web" must come right after the node'],
    ["n1 group=we/b httpd", 'group name "we/b" may hold letters, digits, ".", "_", ":" and "-"'],
    ["n1 /etc/init.d/httpd", '"/etc/init.d/httpd" is not a resource name'],
  ])("%s → %s", (line, message) => {
    expect(errorsOf(`n0 first\n${line}\n`)).toEqual([`haresources:2: ${message}`]);
  });

  it("collects every error across lines, in line order, with the file name given", () => {
    expect(errorsOf("n1 a \\\n ::x\nn2\nn3 a\n", "/etc/ha.d/haresources")).toEqual([
      '/etc/ha.d/haresources:2: empty resource name in "::x"',
      '/etc/ha.d/haresources:3: node "n2" has no resources',
      '/etc/ha.d/haresources:4: resource "a" is already in group "a" (line 1)',
      '/etc/ha.d/haresources:4: group "a" is already defined on line 1',
    ]);
  });
});
