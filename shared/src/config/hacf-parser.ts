// ha.cf → HaCf. Every problem is collected with its line (heartbeat stops at the first; an operator
// fixing a file wants them all). Directives and their rules follow heartbeat's config.c.
import { sortConfigErrors, type ConfigError, type Parsed } from "./config-error.js";
import { parseDuration } from "./duration.js";
import { parseFenceDirective } from "./hacf-fence.js";
import { finishMedia, parseBcast, parseMcast, parseUcast, type MediaResult, type MediumDraft } from "./hacf-media.js";
import { checkTiming, type TimingValue } from "./hacf-timing.js";
import {
  IGNORED_DIRECTIVES, isNatsServer, isNodeName, parseBoolean, SYSLOG_FACILITIES, UNSUPPORTED_DIRECTIVES,
} from "./hacf-values.js";
import { parseHostPort, parseIPv4 } from "./net-address.js";
import { HaCf, type AutoFailback } from "./schemas.js";

const DEFAULT_UDPPORT = 694; // heartbeat's IANA-assigned port ("ha-cluster")
const DEFAULT_CLUSTER = "vigil";

/** Directives that may appear once; the rest (media, node, ping, nats) accumulate. */
const SINGLE = new Set([
  "keepalive", "warntime", "deadtime", "initdead", "udpport", "auto_failback", "logfile", "debugfile",
  "logfacility", "debug", "use_logd", "cluster", "bind", "fence", "allow_crc", "crm",
  "require_fencing", "fence_agent", "tiebreaker",
]);

/** What the parse learned besides the config itself: where each node was listed. */
export interface HaCfDetail {
  result: Parsed<HaCf>;
  /** Lower-cased node name → line of its `node` directive. */
  nodeLines: Map<string, number>;
  /** Line of the last `node` directive (0 when none). */
  lastNodeLine: number;
  /** `allow_crc`, known even when the file has errors (authkeys is checked against it). */
  allowCrc: boolean;
  /** Line of each directive that may appear once (logfile, fence…), for warnings that point at it. */
  directiveLines?: ReadonlyMap<string, number>;
}

export function parseHaCf(text: string, file = "ha.cf"): Parsed<HaCf> {
  return parseHaCfDetailed(text, file).result;
}

export function parseHaCfDetailed(text: string, file = "ha.cf"): HaCfDetail {
  const errors: ConfigError[] = [];
  const timing: Partial<Record<"keepalive" | "warntime" | "deadtime" | "initdead", TimingValue>> = {};
  const seen = new Map<string, number>();
  const drafts: MediumDraft[] = [];
  const nodes: string[] = [];
  const nodeLines = new Map<string, number>();
  const pingNodes: string[] = [];
  const nats: string[] = [];
  const ignored: { line: number; directive: string }[] = [];
  let udpport: number | undefined;
  let autoFailback: AutoFailback = "legacy"; // heartbeat's default (config.c)
  let allowCrc = false;
  let cluster = DEFAULT_CLUSTER;
  const optional: Partial<Pick<HaCf, "bind" | "fence" | "fenceAgent" | "requireFencing" | "tiebreaker" | "logfile" | "debugfile" | "logfacility" | "debug">> = {};

  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const fail = (message: string) => errors.push({ file, line, message });
    // heartbeat truncates each line at `#`, so comments may follow a value.
    const words = raw.replace(/#.*/, "").trim().split(/\s+/).filter((w) => w !== "");
    const [directive, ...args] = words;
    if (directive === undefined) return;

    if (SINGLE.has(directive)) {
      const first = seen.get(directive);
      if (first !== undefined) return fail(`${directive} is already set on line ${first}`);
      seen.set(directive, line);
    }
    const one = (): string | undefined => {
      if (args.length === 1) return args[0];
      fail(`${directive} takes 1 value, got ${args.length}`);
      return undefined;
    };
    const media = (r: MediaResult) => (r.ok ? drafts.push(...r.media) : r.messages.forEach(fail));

    switch (directive) {
      case "keepalive":
      case "warntime":
      case "deadtime":
      case "initdead": {
        const v = one();
        if (v === undefined) return;
        const d = parseDuration(v);
        if (!d.ok) return fail(`${directive}: ${d.message}`);
        // heartbeat refuses a zero keepalive or warntime (set_keepalive_ms, set_warntime_ms).
        if (d.ms <= 0 && (directive === "keepalive" || directive === "warntime")) return fail(`${directive} must be more than 0`);
        timing[directive] = { ms: d.ms, line };
        return;
      }
      case "udpport": {
        const v = one();
        if (v === undefined) return;
        const p = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
        if (!(p >= 1 && p <= 65535)) return fail(`udpport: "${v}" is not a port (1-65535)`);
        udpport = p;
        return;
      }
      case "mcast":
        return void media(parseMcast(args));
      case "bcast":
        return void media(parseBcast(args));
      case "ucast":
        return void media(parseUcast(args));
      case "node": {
        if (args.length === 0) return fail("node takes one or more node names");
        for (const name of args) {
          if (!isNodeName(name)) {
            fail(`node: "${name}" is not a node name (letters, digits, ".", "_", "-")`);
            continue;
          }
          // heartbeat compares node names without regard to case (uname -n may differ in case).
          const key = name.toLowerCase();
          const earlier = nodeLines.get(key);
          if (earlier !== undefined) {
            fail(`node "${name}" is already listed on line ${earlier}`);
            continue;
          }
          nodeLines.set(key, line);
          nodes.push(name);
        }
        return;
      }
      case "ping": {
        if (args.length === 0) return fail("ping takes one or more addresses");
        for (const a of args) {
          const hp = parseHostPort(a);
          if (!hp.ok || hp.value.port !== undefined) fail(`ping: "${a}" is not an IPv4 address or host name`);
          else pingNodes.push(a);
        }
        return;
      }
      case "auto_failback": {
        const v = one();
        if (v === undefined) return;
        // heartbeat: "legacy", or any boolean (set_auto_failback uses cl_str_to_boolean).
        if (v.toLowerCase() === "legacy") autoFailback = "legacy";
        else {
          const b = parseBoolean(v);
          if (b === undefined) return fail(`auto_failback: "${v}" must be on, off or legacy`);
          autoFailback = b ? "on" : "off";
        }
        return;
      }
      case "logfile":
      case "debugfile": {
        const v = one();
        if (v !== undefined) optional[directive] = v;
        return;
      }
      case "logfacility": {
        const v = one();
        if (v === undefined) return;
        if (!SYSLOG_FACILITIES.includes(v)) return fail(`logfacility: "${v}" is not a syslog facility`);
        optional.logfacility = v;
        return;
      }
      case "debug": {
        const v = one();
        if (v === undefined) return;
        if (!/^\d{1,3}$/.test(v) || Number(v) > 255) return fail(`debug: "${v}" must be a level 0-255`);
        optional.debug = Number(v);
        return;
      }
      case "use_logd":
      case "allow_crc": {
        const v = one();
        if (v === undefined) return;
        const b = parseBoolean(v);
        if (b === undefined) return fail(`${directive}: "${v}" must be yes or no`);
        if (directive === "allow_crc") allowCrc = b;
        return;
      }
      case "crm": {
        const v = one();
        if (v === undefined) return;
        // `crm no` is the haresources world Vigil reads; `crm yes` hands resources to Pacemaker's CIB.
        if (parseBoolean(v) !== false) return fail(`crm ${v}: Pacemaker's CIB is not supported; Vigil reads haresources (use "crm no")`);
        return;
      }
      case "nats": {
        if (args.length === 0) return fail("nats takes one or more server URLs");
        for (const u of args) {
          if (isNatsServer(u)) nats.push(u);
          else fail(`nats: "${u}" is not a server URL (nats://host:port)`);
        }
        return;
      }
      case "cluster": {
        const v = one();
        if (v === undefined) return;
        if (!/^[A-Za-z0-9_-]+$/.test(v)) return fail(`cluster: "${v}" may hold only letters, digits, "_" and "-"`);
        cluster = v;
        return;
      }
      case "bind": {
        const v = one();
        if (v === undefined) return;
        const hp = parseHostPort(v);
        if (!hp.ok || parseIPv4(hp.value.host) === undefined) return fail(`bind: "${v}" is not an IPv4 address[:port]`);
        optional.bind = v;
        return;
      }
      case "fence":
      case "fence_agent": {
        const other = directive === "fence" ? "fence_agent" : "fence";
        if (seen.has(other)) return fail(`${directive}: ${other} is already set on line ${seen.get(other)}; configure one fence agent`);
        const f = parseFenceDirective(directive, args);
        if (!f.ok) return f.messages.forEach(fail);
        if ("argv" in f) optional.fence = f.argv;
        else optional.fenceAgent = f.agent;
        return;
      }
      case "tiebreaker": {
        const v = one();
        if (v === undefined) return;
        if (v !== "nats") return fail(`tiebreaker: "${v}" is not a tie-breaker (the only one is \`nats\`: a lease on the NATS servers)`);
        optional.tiebreaker = v;
        return;
      }
      case "require_fencing": {
        const v = one();
        if (v === undefined) return;
        const b = parseBoolean(v);
        if (b === undefined) return fail(`require_fencing: "${v}" must be on or off`);
        optional.requireFencing = b;
        return;
      }
      default: {
        if (IGNORED_DIRECTIVES.has(directive)) return void ignored.push({ line, directive });
        const why = UNSUPPORTED_DIRECTIVES.get(directive);
        return fail(why ?? `unknown directive "${directive}"`);
      }
    }
  });

  const timingResult = checkTiming(timing);
  errors.push(...timingResult.errors.map((e) => ({ file, ...e })));
  if (drafts.length === 0 && !errors.some((e) => /^(mcast|bcast|ucast)/.test(e.message))) {
    errors.push({ file, line: 0, message: "no heartbeat medium: add a mcast, bcast or ucast line" });
  }
  if (nodes.length === 0 && !errors.some((e) => e.message.startsWith("node"))) {
    errors.push({ file, line: 0, message: 'no nodes: list the cluster\'s nodes with "node NAME…"' });
  }
  // pcmk_host_map names nodes: each must be one of ha.cf's.
  for (const n of Object.keys(optional.fenceAgent?.hostMap ?? {}))
    if (nodes.length > 0 && !nodeLines.has(n.toLowerCase()))
      errors.push({ file, line: seen.get("fence_agent") ?? seen.get("fence") ?? 0, message: `pcmk_host_map: "${n}" is not listed in any node directive` });
  const lastNodeLine = Math.max(0, ...nodeLines.values());
  if (errors.length > 0) return { result: { ok: false, errors: sortConfigErrors(errors) }, nodeLines, lastNodeLine, allowCrc, directiveLines: seen };

  const port = udpport ?? DEFAULT_UDPPORT;
  const candidate: HaCf = {
    cluster,
    ...timingResult.values,
    udpport: port,
    media: finishMedia(drafts, port),
    nodes,
    pingNodes,
    autoFailback,
    nats,
    allowCrc,
    ...optional,
    ...(ignored.length > 0 ? { ignored } : {}),
  };
  // The checks above should make this hold; if they ever miss something, say so instead of passing it on.
  const checked = HaCf.safeParse(candidate);
  if (!checked.success) {
    const errs = checked.error.issues.map((i) => ({ file, line: 0, message: `${i.path.join(".")}: ${i.message}` }));
    return { result: { ok: false, errors: errs }, nodeLines, lastNodeLine, allowCrc, directiveLines: seen };
  }
  return { result: { ok: true, value: checked.data }, nodeLines, lastNodeLine, allowCrc, directiveLines: seen };
}
