// Runs any OCF resource agent: `$OCF_ROOT/resource.d/PROVIDER/TYPE ACTION` with the OCF environment
// (OCF resource agent API 1.0: OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_<param>, …). Its meta-data
// gives the default timeouts and monitor interval and the parameters `validate()` checks.
//
// validate() is synchronous in the Resource interface, so meta-data is read once per agent script with
// a short blocking execFileSync (5 s, OCF's usual meta-data timeout) and cached; the heartbeat loop does
// not run on this thread. The agent's own `validate-all` is async: `validateDeep()`.
import { accessSync, constants } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { runCommand } from "../exec/run-command.js";
import { argsError } from "../metadata.js";
import { DEFAULT_OCF_MONITOR_INTERVAL_MS, DEFAULT_OCF_TIMEOUT_MS, parseOcfMetadata, type OcfAgentInfo } from "./ocf-metadata.js";
import { parseOcfSpec, type OcfSpec } from "./ocf-spec.js";

export const DEFAULT_OCF_ROOT = "/usr/lib/ocf";

export interface OcfOptions {
  /** Default: $OCF_ROOT, else /usr/lib/ocf. */
  ocfRoot?: string;
  /** Command prefix, e.g. `["ip","netns","exec","NS"]`: the agent runs inside that namespace. */
  wrap?: readonly string[];
  /** OCF_RESOURCE_INSTANCE; default: the resource id with characters outside [A-Za-z0-9_.-] replaced. */
  instance?: string;
}

const metadataCache = new Map<string, OcfAgentInfo | { error: string }>();

/** Reads (once) and parses an agent script's meta-data. */
export function loadOcfAgentInfoSync(script: string, ocfRoot: string, name: string): OcfAgentInfo | { error: string } {
  const cached = metadataCache.get(script);
  if (cached) return cached;
  let info: OcfAgentInfo | { error: string };
  try {
    const xml = execFileSync(script, ["meta-data"], {
      env: { ...baseEnv(), OCF_ROOT: ocfRoot, OCF_FUNCTIONS_DIR: join(ocfRoot, "lib", "heartbeat") },
      timeout: 5_000,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    info = parseOcfMetadata(xml, name);
  } catch (e) {
    info = { error: `${script} meta-data failed: ${(e as Error).message.split("\n")[0]}` };
  }
  // Only a success is kept: an agent installed or fixed later is read again.
  if (!("error" in info)) metadataCache.set(script, info);
  return info;
}

/** The environment without OCF variables inherited from whoever started Vigil. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("OCF_")) env[k] = v;
  return env;
}

export class OcfResource implements Resource {
  private readonly ocfRoot: string;
  private readonly wrap: readonly string[];
  private readonly instance: string;
  private readonly spec: { ok: true; value: OcfSpec } | { ok: false; result: ActionResult };

  constructor(
    readonly id: string,
    private readonly agent: string,
    args: readonly string[],
    opts: OcfOptions = {},
  ) {
    this.ocfRoot = opts.ocfRoot ?? process.env.OCF_ROOT ?? DEFAULT_OCF_ROOT;
    this.wrap = opts.wrap ?? [];
    this.instance = opts.instance ?? id.replace(/[^A-Za-z0-9_.-]/g, "_");
    this.spec = parseOcfSpec(agent, args);
  }

  get script(): string | undefined {
    return this.spec.ok ? join(this.ocfRoot, "resource.d", this.spec.value.provider, this.spec.value.type) : undefined;
  }

  /** The agent's meta-data, or a stand-in with OCF's default timeouts when it cannot be read. */
  get meta(): AgentMetadata {
    const info = this.info();
    if (info && !("error" in info)) return info.metadata;
    return {
      name: this.agent,
      description: info && "error" in info ? info.error : `OCF agent ${this.agent}`,
      parameters: [],
      timeouts: { start: DEFAULT_OCF_TIMEOUT_MS, stop: DEFAULT_OCF_TIMEOUT_MS, monitor: DEFAULT_OCF_TIMEOUT_MS },
      monitorIntervalMs: DEFAULT_OCF_MONITOR_INTERVAL_MS,
    };
  }

  private info(): OcfAgentInfo | { error: string } | undefined {
    const script = this.script;
    if (!script || !isExecutable(script)) return undefined;
    return loadOcfAgentInfoSync(script, this.ocfRoot, this.agent);
  }

  validate(): ActionResult {
    if (!this.spec.ok) return this.spec.result;
    const script = this.script!;
    if (!isExecutable(script)) return { rc: OCF.ERR_INSTALLED, message: `${this.agent}: ${script} is not installed (or not executable)` };
    const info = this.info();
    if (!info || "error" in info) return { rc: OCF.ERR_GENERIC, message: `${this.agent}: ${info?.error ?? "no meta-data"}` };
    const known = new Set(info.metadata.parameters.map((p) => p.name));
    for (const name of Object.keys(this.spec.value.params)) {
      if (!known.has(name)) return argsError(this.agent, name, `unknown parameter (known: ${[...known].join(", ") || "none"})`);
    }
    for (const p of info.metadata.parameters) {
      if (p.required && !(p.name in this.spec.value.params)) return argsError(this.agent, p.name, "is required");
    }
    return { rc: OCF.SUCCESS, message: `${this.agent}: parameters valid` };
  }

  /** validate() plus the agent's own `validate-all`, when its meta-data lists that action. */
  async validateDeep(opts: ActionOptions): Promise<ActionResult> {
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    const info = this.info();
    if (!info || "error" in info || !info.actions.some((a) => a.name === "validate-all")) return v;
    return this.run("validate-all", opts);
  }

  start(opts: ActionOptions): Promise<ActionResult> {
    return this.guarded("start", opts);
  }

  stop(opts: ActionOptions): Promise<ActionResult> {
    return this.guarded("stop", opts);
  }

  monitor(opts: ActionOptions): Promise<ActionResult> {
    return this.guarded("monitor", opts);
  }

  private async guarded(action: string, opts: ActionOptions): Promise<ActionResult> {
    const v = this.validate();
    if (v.rc !== OCF.SUCCESS) return v;
    return this.run(action, opts);
  }

  private async run(action: string, opts: ActionOptions): Promise<ActionResult> {
    if (!this.spec.ok) return this.spec.result;
    const { provider, type, params } = this.spec.value;
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      OCF_ROOT: this.ocfRoot,
      OCF_FUNCTIONS_DIR: join(this.ocfRoot, "lib", "heartbeat"),
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_RESOURCE_INSTANCE: this.instance,
      OCF_RESOURCE_TYPE: type,
      OCF_RESOURCE_PROVIDER: provider,
      OCF_RESKEY_CRM_meta_timeout: String(opts.timeoutMs),
    };
    // A recurring monitor tells the agent its interval, as Pacemaker does (0 would mean a one-off probe).
    if (action === "monitor") env.OCF_RESKEY_CRM_meta_interval = String(this.meta.monitorIntervalMs);
    for (const [k, v] of Object.entries(params)) env[`OCF_RESKEY_${k}`] = v;
    const r = await runCommand([...this.wrap, this.script!, action], { timeoutMs: opts.timeoutMs, env, signal: opts.signal });
    const output = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-3).join(" | ").slice(0, 400);
    if (r.timedOut) return { rc: OCF.ERR_GENERIC, message: `${this.agent} ${action} timed out after ${opts.timeoutMs} ms` };
    if (opts.signal?.aborted) return { rc: OCF.ERR_GENERIC, message: `${this.agent} ${action} aborted` };
    if (r.code === 127) return { rc: OCF.ERR_INSTALLED, message: `${this.agent} ${action}: ${output || "not installed"}` };
    if (r.code < 0) return { rc: OCF.ERR_GENERIC, message: `${this.agent} ${action} killed by ${r.signal ?? "a signal"}` };
    return { rc: r.code, message: `${this.agent} ${action}: rc ${r.code}${output ? `: ${output}` : ""}` };
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
