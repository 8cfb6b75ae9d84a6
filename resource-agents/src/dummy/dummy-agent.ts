// A file-based test agent, like OCF's Dummy: start creates a state file, stop removes it, monitor checks
// it. Tests inject failures through the file system, with no code: beside the state file,
//   <state>.fail-start | .fail-stop | .fail-monitor   make that action fail (rc from the file, default 1)
//   <state>.hang-start | .hang-stop | .hang-monitor   make that action hang until its timeout (rc 1)
// so a policy or lab test can break a resource on a running node with `touch`.
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { parsePositionalArgs } from "../metadata.js";

export const DEFAULT_DUMMY_STATE_DIR = "/run/vigil/dummy";

export const DUMMY_META: AgentMetadata = {
  name: "Dummy",
  description:
    "A test resource held as a state file: `Dummy::state` (a name under the state directory, or an absolute path).\n" +
    "Failures are injected with files beside it: <state>.fail-start|.fail-stop|.fail-monitor (content: rc, default 1)\n" +
    "and <state>.hang-start|.hang-stop|.hang-monitor (the action hangs until its timeout).",
  parameters: [{ name: "state", description: "State file name (under the state directory) or absolute path", required: true }],
  timeouts: { start: 20_000, stop: 20_000, monitor: 20_000 },
  monitorIntervalMs: 10_000,
};

const StateArg = z.object({
  state: z
    .string()
    .refine((s) => !s.split("/").includes(".."), "must not contain '..'")
    .refine((s) => isAbsolute(s) || /^[A-Za-z0-9._-]+$/.test(s), "must be a plain name (letters, digits, . _ -) or an absolute path"),
});

type Knob = "start" | "stop" | "monitor";

export class DummyResource implements Resource {
  readonly meta = DUMMY_META;

  constructor(
    readonly id: string,
    private readonly args: readonly string[],
    private readonly stateDir: string = DEFAULT_DUMMY_STATE_DIR,
  ) {}

  validate(): ActionResult {
    const path = this.statePath();
    return typeof path === "string" ? { rc: OCF.SUCCESS, message: `Dummy ${path}` } : path;
  }

  /** The state file this resource stands for, or the validation error. */
  statePath(): string | ActionResult {
    const parsed = parsePositionalArgs(DUMMY_META, StateArg, this.args);
    if (!parsed.ok) return parsed.result;
    const s = parsed.value.state;
    return isAbsolute(s) ? s : join(this.stateDir, s);
  }

  async start(opts: ActionOptions): Promise<ActionResult> {
    return this.act("start", opts, async (path) => {
      await mkdir(join(path, ".."), { recursive: true });
      await writeFile(path, `${this.id}\n`);
      return { rc: OCF.SUCCESS, message: `Dummy ${path}: started` };
    });
  }

  async stop(opts: ActionOptions): Promise<ActionResult> {
    return this.act("stop", opts, async (path) => {
      await rm(path, { force: true });
      return { rc: OCF.SUCCESS, message: `Dummy ${path}: stopped` };
    });
  }

  async monitor(opts: ActionOptions): Promise<ActionResult> {
    return this.act("monitor", opts, async (path) =>
      (await exists(path))
        ? { rc: OCF.SUCCESS, message: `Dummy ${path}: running` }
        : { rc: OCF.NOT_RUNNING, message: `Dummy ${path}: not running` },
    );
  }

  private async act(action: Knob, opts: ActionOptions, body: (path: string) => Promise<ActionResult>): Promise<ActionResult> {
    const path = this.statePath();
    if (typeof path !== "string") return path;
    try {
      if (await exists(`${path}.hang-${action}`)) return await hangUntilTimeout(`Dummy ${path}: ${action}`, opts);
      const fail = await readKnob(`${path}.fail-${action}`);
      if (fail !== undefined) return { rc: fail, message: `Dummy ${path}: ${action} failed (injected by ${path}.fail-${action})` };
      return await body(path);
    } catch (e) {
      return { rc: OCF.ERR_GENERIC, message: `Dummy ${path}: ${action}: ${(e as Error).message}` };
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The rc a fail knob asks for: its content when that is a number 1-255, else 1; undefined without the file. */
async function readKnob(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 1 && n <= 255 ? n : OCF.ERR_GENERIC;
}

/** An injected hang: ends only with the action's timeout or the caller's abort, as a hung script would. */
function hangUntilTimeout(what: string, opts: ActionOptions): Promise<ActionResult> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      resolve({ rc: OCF.ERR_GENERIC, message: `${what} ${why} (injected hang)` });
    };
    const onAbort = () => done("aborted");
    const timer = setTimeout(() => done(`timed out after ${opts.timeoutMs} ms`), opts.timeoutMs);
    if (opts.signal?.aborted) return done("aborted");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
