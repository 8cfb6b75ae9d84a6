// `exportfs::client::directory[::options]`: one NFS export, added with `exportfs -o OPTIONS
// CLIENT:DIR` on start, removed with `exportfs -u CLIENT:DIR` on stop, monitored by `exportfs -v`.
// Give the export a fixed `fsid=` so clients' file handles stay valid after a failover (the rule
// OCF's exportfs agent enforces for clustered exports).
import type { ResourceSpec } from "@vigil/shared/config/schemas";
import { z } from "zod";
import { OCF, type ActionOptions, type ActionResult, type AgentMetadata, type Resource } from "../agent-interface.js";
import { ActionRunner, commandFailure, type CommandEnvOptions } from "../filesystem/action-runner.js";
import { parsePositionalArgs } from "../metadata.js";
import { findExport, parseExportfsVerbose } from "./exportfs-output.js";

export const EXPORTFS_META: AgentMetadata = {
  name: "exportfs",
  description:
    "One NFS export: `exportfs::client::directory[::options]`, through the kernel NFS server's `exportfs`.\n" +
    "start exports it, stop unexports it, monitor finds it in `exportfs -v`.",
  parameters: [
    { name: "client", description: "Who may mount: host, address, network/prefix, *.domain, @netgroup or *", required: true },
    { name: "directory", description: "The exported directory (absolute path)", required: true },
    { name: "options", description: "Export options as exportfs -o takes them, e.g. rw,sync,no_subtree_check,fsid=1", required: false },
  ],
  timeouts: { start: 40_000, stop: 120_000, monitor: 20_000 },
  monitorIntervalMs: 10_000,
};

const Args = z.object({
  client: z.string().regex(/^[^\s():]+$|^\[[0-9A-Fa-f:]+\](\/\d+)?$/, "must be a host, address, network, wildcard or @netgroup (no spaces, parentheses or ':')"),
  directory: z
    .string()
    .regex(/^\/\S*$/, "must be an absolute path without spaces")
    .refine((d) => !d.split("/").includes(".."), "must not contain '..'"),
  options: z.string().regex(/^[A-Za-z0-9_=,:@./-]+$/, "must be comma-separated export options without spaces").optional(),
});
type ExportArgs = z.infer<typeof Args>;

export function createExportfs(spec: ResourceSpec, opts: CommandEnvOptions = {}): Resource {
  return new ExportfsResource(spec, opts);
}

class ExportfsResource implements Resource {
  readonly id: string;
  readonly meta = EXPORTFS_META;
  private readonly args: { ok: true; value: ExportArgs } | { ok: false; result: ActionResult };

  constructor(
    spec: ResourceSpec,
    private readonly opts: CommandEnvOptions,
  ) {
    this.id = spec.id;
    const p = parsePositionalArgs(EXPORTFS_META, Args, spec.args);
    this.args = p.ok ? { ok: true, value: { ...p.value, directory: p.value.directory.replace(/(.)\/+$/, "$1") } } : p;
  }

  validate(): ActionResult {
    return this.args.ok ? { rc: OCF.SUCCESS, message: "arguments valid" } : this.args.result;
  }

  private target(a: ExportArgs): string {
    return `${a.client}:${a.directory}`;
  }

  async start(action: ActionOptions): Promise<ActionResult> {
    if (!this.args.ok) return this.args.result;
    const a = this.args.value;
    const run = new ActionRunner(action, this.opts);
    const before = await this.listed(run, a);
    if (before.rc === OCF.SUCCESS) return { rc: OCF.SUCCESS, message: `${this.target(a)} already exported` };
    if (before.rc !== OCF.NOT_RUNNING) return before;
    const argv = ["exportfs", ...(a.options ? ["-o", a.options] : []), this.target(a)];
    const r = await run.run(argv);
    if (r.code !== 0) return commandFailure(argv, r, "exportfs: export failed");
    const after = await this.listed(run, a);
    if (after.rc !== OCF.SUCCESS) return { rc: OCF.ERR_GENERIC, message: `exportfs: exportfs returned 0 but ${after.message}` };
    return { rc: OCF.SUCCESS, message: `exported ${this.target(a)}` };
  }

  async stop(action: ActionOptions): Promise<ActionResult> {
    if (!this.args.ok) return this.args.result;
    const a = this.args.value;
    const run = new ActionRunner(action, this.opts);
    const before = await this.listed(run, a);
    if (before.rc === OCF.NOT_RUNNING) return { rc: OCF.SUCCESS, message: `${this.target(a)} not exported` };
    if (before.rc !== OCF.SUCCESS) return before;
    const argv = ["exportfs", "-u", this.target(a)];
    const r = await run.run(argv);
    const after = await this.listed(run, a);
    if (after.rc === OCF.NOT_RUNNING) return { rc: OCF.SUCCESS, message: `unexported ${this.target(a)}` };
    if (r.code !== 0) return commandFailure(argv, r, "exportfs: unexport failed");
    return { rc: OCF.ERR_GENERIC, message: `exportfs: ${this.target(a)} is still exported after exportfs -u` };
  }

  async monitor(action: ActionOptions): Promise<ActionResult> {
    if (!this.args.ok) return this.args.result;
    return this.listed(new ActionRunner(action, this.opts), this.args.value);
  }

  private async listed(run: ActionRunner, a: ExportArgs): Promise<ActionResult> {
    const argv = ["exportfs", "-v"];
    const r = await run.run(argv);
    if (r.code !== 0) return commandFailure(argv, r, "exportfs: cannot list exports");
    const e = findExport(parseExportfsVerbose(r.stdout), a.client, a.directory);
    return e
      ? { rc: OCF.SUCCESS, message: `${this.target(a)} exported (${e.options.join(",")})` }
      : { rc: OCF.NOT_RUNNING, message: `${this.target(a)} not exported` };
  }
}
