// `vigil agents list` and `vigil agents info NAME`: the resource agents this machine can run.
import { renderMetadataXml } from "@vigil/resource-agents/metadata";
import { agentInfo, listAgents, listOcfAgents } from "@vigil/resource-agents/registry";
import { CliError } from "../cli-context.js";

export function agentsList(json: boolean, out: (s: string) => void): number {
  const builtIns = listAgents();
  const ocf = listOcfAgents();
  if (json) {
    out(JSON.stringify({ builtIn: builtIns.map((m) => ({ name: m.name, description: m.description })), ocf }));
    return 0;
  }
  out("Built-in agents (haresources: Name::arg1::arg2):");
  for (const m of builtIns) {
    const usage = m.parameters.map((p) => (p.required ? p.name : `[${p.name}]`)).join("::");
    out(`  ${m.name}${usage ? `::${usage}` : ""}`);
    out(`      ${m.description.split("\n")[0]}`);
  }
  out(`\nOCF agents (ocf:PROVIDER:TYPE::name=value…): ${ocf.length} installed`);
  for (const n of ocf) out(`  ${n}`);
  out("\nAny other name runs /etc/ha.d/resource.d/NAME, then /etc/init.d/NAME (heartbeat's lookup).");
  return 0;
}

export function agentsInfo(name: string, json: boolean, out: (s: string) => void): number {
  const info = agentInfo(name);
  if ("error" in info) throw new CliError(info.error);
  out(json ? JSON.stringify(info) : renderMetadataXml(info));
  return 0;
}
