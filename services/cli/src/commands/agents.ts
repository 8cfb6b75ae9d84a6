// `vigil agents list` and `vigil agents info NAME`: the resource agents this machine can run.
import type { AgentMetadata } from "@vigil/resource-agents/agent-interface";
import { formatOcfDuration, renderMetadataXml, usage } from "@vigil/resource-agents/metadata";
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

/** An agent's metadata for people: what it does, how haresources names it, its parameters and timeouts. */
export function formatAgentInfo(name: string, m: AgentMetadata): string {
  const ocf = name.startsWith("ocf:");
  const lines = [name, ...m.description.split("\n").map((l) => `  ${l}`), ""];
  lines.push(ocf ? `haresources: ${name}::name=value::…` : `haresources: ${usage(m)}`, "");
  if (m.parameters.length === 0) lines.push("Parameters: none");
  else {
    lines.push(ocf ? "Parameters (name=value):" : "Parameters (in order, separated by ::):");
    const width = Math.min(24, Math.max(...m.parameters.map((p) => p.name.length)));
    for (const p of m.parameters) {
      const tags = [p.required ? "required" : "optional", ...(p.default !== undefined && p.default !== "" ? [`default ${p.default}`] : [])];
      lines.push(`  ${p.name.padEnd(width)}  ${p.description}${p.description ? "  " : ""}(${tags.join(", ")})`);
    }
  }
  const t = m.timeouts;
  lines.push(
    "",
    `Timeouts: start ${formatOcfDuration(t.start)}, stop ${formatOcfDuration(t.stop)}, monitor ${formatOcfDuration(t.monitor)} every ${formatOcfDuration(m.monitorIntervalMs)}`,
  );
  return lines.join("\n");
}

export function agentsInfo(name: string, o: { json: boolean; xml: boolean }, out: (s: string) => void): number {
  const info = agentInfo(name);
  if ("error" in info) throw new CliError(info.error);
  out(o.json ? JSON.stringify(info) : o.xml ? renderMetadataXml(info).trimEnd() : formatAgentInfo(name, info));
  return 0;
}
