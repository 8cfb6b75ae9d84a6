// Reading an OCF agent's `meta-data` XML without an XML library: the parts Vigil needs are flat
// attributes of <parameter> and <action> elements (ra-api-1.dtd), plus the first <shortdesc>/<longdesc>.
import type { AgentMetadata, ParameterInfo } from "../agent-interface.js";

export interface OcfActionInfo {
  name: string;
  timeoutMs?: number;
  intervalMs?: number;
}

export interface OcfAgentInfo {
  metadata: AgentMetadata;
  actions: OcfActionInfo[];
}

// Pacemaker's default operation timeout, used when an agent's meta-data names none.
export const DEFAULT_OCF_TIMEOUT_MS = 20_000;
export const DEFAULT_OCF_MONITOR_INTERVAL_MS = 10_000;

/** An OCF/Pacemaker duration: a bare number is seconds; units ms, s, m/min, h. */
export function parseOcfDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? "s").toLowerCase();
  const scale = unit.startsWith("ms") ? 1 : unit.startsWith("s") ? 1_000 : unit.startsWith("m") ? 60_000 : 3_600_000;
  return Math.round(n * scale);
}

const unescapeXml = (s: string): string =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    out[m[1]!] = unescapeXml(m[2] ?? m[3] ?? "");
  }
  return out;
}

function firstText(xml: string, element: string): string | undefined {
  const m = new RegExp(`<${element}\\b[^>]*>([\\s\\S]*?)</${element}>`).exec(xml);
  return m ? unescapeXml(m[1]!.trim()).replace(/\s+/g, " ") : undefined;
}

/** Parses an agent's meta-data. `name` is used when the XML lacks one; returns an error string when the
 *  text is not OCF meta-data at all. */
export function parseOcfMetadata(xml: string, name: string): OcfAgentInfo | { error: string } {
  const root = /<resource-agent\b([^>]*)>/.exec(xml);
  if (!root) return { error: "no <resource-agent> element in meta-data" };
  const body = xml.slice(root.index);
  const paramsSection = /<parameters>([\s\S]*?)<\/parameters>/.exec(body)?.[1] ?? "";
  const beforeParams = body.split(/<parameters>/)[0] ?? body;

  const parameters: ParameterInfo[] = [];
  for (const m of paramsSection.matchAll(/<parameter\b([^>]*?)(\/>|>([\s\S]*?)<\/parameter>)/g)) {
    const a = attributes(m[1]!);
    if (!a.name) continue;
    const inner = m[3] ?? "";
    const content = /<content\b([^>]*)\/?>/.exec(inner);
    const def = content ? attributes(content[1]!).default : undefined;
    const p: ParameterInfo = {
      name: a.name,
      description: firstText(inner, "shortdesc") ?? firstText(inner, "longdesc") ?? "",
      required: a.required === "1" || a.required === "true",
    };
    if (def !== undefined) p.default = def;
    parameters.push(p);
  }

  const actions: OcfActionInfo[] = [];
  for (const m of body.matchAll(/<action\b([^>]*?)\/?>/g)) {
    const a = attributes(m[1]!);
    if (!a.name) continue;
    const act: OcfActionInfo = { name: a.name };
    const timeout = a.timeout !== undefined ? parseOcfDuration(a.timeout) : undefined;
    const interval = a.interval !== undefined ? parseOcfDuration(a.interval) : undefined;
    if (timeout !== undefined) act.timeoutMs = timeout;
    if (interval !== undefined) act.intervalMs = interval;
    actions.push(act);
  }

  // When an agent lists an action twice (monitor per role or depth), the first entry is the plain one.
  const find = (n: string) => actions.find((x) => x.name === n);
  const timeoutOf = (n: string) => find(n)?.timeoutMs ?? DEFAULT_OCF_TIMEOUT_MS;
  const monitor = find("monitor") ?? find("status");
  return {
    metadata: {
      name: attributes(root[1]!).name ?? name,
      description: firstText(beforeParams, "shortdesc") ?? firstText(beforeParams, "longdesc") ?? "",
      parameters,
      timeouts: { start: timeoutOf("start"), stop: timeoutOf("stop"), monitor: monitor?.timeoutMs ?? DEFAULT_OCF_TIMEOUT_MS },
      monitorIntervalMs: monitor?.intervalMs || DEFAULT_OCF_MONITOR_INTERVAL_MS,
    },
    actions,
  };
}
