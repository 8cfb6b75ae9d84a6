// Maps `vigil <words…>` to a command, with commander: every command has its own usage (`vigil
// resource move --help`), its own flags (an unknown or misplaced flag, a missing or extra argument is
// an error, exit 2), and the global flags that say where the log is.
import { Command, Option } from "commander";
import { runAgent, VERSION } from "@vigil/agent/agent";
import { CliError, type CommonFlags } from "./cli-context.js";
import { agentsInfo, agentsList } from "./commands/agents.js";
import { configCheck } from "./commands/config-check.js";
import { logCommand } from "./commands/log.js";
import { hbCommand, operatorCommand, type OperatorCommand, type OperatorFlags } from "./commands/operator.js";
import { statusCommand } from "./commands/status.js";
import { confirmFencedCommand } from "./commands/confirm-fenced.js";

type Out = (s: string) => void;
type Opts = Record<string, string | boolean | undefined>;

const FOOTER = `
The log is found with --nats URL[,URL…] (or VIGIL_NATS), --cluster NAME (or VIGIL_CLUSTER), or
--config DIR to read both from DIR/ha.cf. Durations: 30 (seconds), 30s, 500ms, 2m.`;

/** The global flags as the commands take them (flag, then environment, then ha.cf: cli-context.ts). */
function common(cmd: Command): CommonFlags {
  const o = cmd.optsWithGlobals() as Opts;
  const f: CommonFlags = { json: !!o.json };
  if (typeof o.nats === "string") f.nats = o.nats;
  if (typeof o.cluster === "string") f.cluster = o.cluster;
  if (typeof o.config === "string") f.config = o.config;
  return f;
}

function operatorFlags(cmd: Command): OperatorFlags {
  const o = cmd.opts() as Opts;
  const f: OperatorFlags = { ...common(cmd), wait: !!o.wait };
  if (typeof o.timeout === "string") f.timeout = o.timeout;
  if (typeof o.as === "string") f.as = o.as;
  return f;
}

/** --wait, --timeout, --json and --as: the flags of every command that writes to the log. */
function writes(cmd: Command): Command {
  return cmd
    .option("--wait", "return once the cluster has carried the command out (or says why it cannot)")
    .option("--timeout <duration>", "how long --wait waits (default 30s; only with --wait)")
    .option("--json", "print the result (or the error) as JSON")
    .addOption(new Option("--as <name>", "the name recorded as the command's writer (default cli)").hideHelp());
}

/** Builds the `vigil` program. `done(code)` receives each command's exit code. */
export function buildProgram(out: Out, done: (code: number) => void, onUsageError: (message: string) => void = () => {}): Command {
  const program = new Command("vigil")
    .description("Vigil: heartbeat-compatible high-availability cluster manager")
    .version(VERSION, "--version", "print the version")
    .helpOption("-h, --help", "print this command's usage")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .exitOverride()
    // Before any subcommand is added: subcommands copy these settings when created.
    .configureOutput({ outputError: (s) => onUsageError(s.replace(/^error: /, "").replace(/\s*\n\s*/g, " ").trim()) })
    .showSuggestionAfterError(true)
    .option("--nats <urls>", "NATS server URLs, comma-separated (default: VIGIL_NATS, ha.cf, nats://127.0.0.1:4222)")
    .option("--cluster <name>", "cluster name: which event log (default: VIGIL_CLUSTER, ha.cf, vigil)")
    .option("--config <dir>", "heartbeat config directory to read nats and cluster from (default /etc/ha.d)")
    .addHelpText("after", FOOTER);
  const run = (p: Promise<number> | number) => Promise.resolve(p).then(done);

  program
    .command("agent")
    .description("run the node agent (logs pino JSON to stderr); needs --config DIR")
    .option("--node <name>", "this node's name (default: uname -n)")
    .option("--state-dir <dir>", "generation, outbox, snapshot, Dummy state (default /var/lib/vigil/NODE)")
    .action((o: Opts, cmd: Command) => {
      const g = common(cmd);
      if (!g.config) throw new CliError("agent: --config DIR is required", 2);
      const nats = g.nats ?? process.env.VIGIL_NATS;
      return run(
        runAgent({
          configDir: g.config,
          ...(typeof o.node === "string" ? { node: o.node } : {}),
          ...(nats ? { nats: [nats] } : {}),
          ...(typeof o.stateDir === "string" ? { stateDir: o.stateDir } : {}),
        }),
      );
    });

  const config = program.command("config").description("check a configuration directory");
  config
    .command("check")
    .description("check ha.cf, haresources and authkeys in DIR, and every resource's arguments")
    .argument("<dir>", "the configuration directory")
    .option("--node <name>", "check as this node would at start: listed in ha.cf, and the host checks (NICs, devices, installed agents) on this host")
    .option("--json", "print the parsed configuration (keys redacted), or the errors, as JSON")
    .action((dir: string, o: Opts) => run(configCheck(dir, { ...(typeof o.node === "string" ? { node: o.node } : {}), json: !!o.json })));

  program
    .command("status")
    .description("nodes, quorum, groups and resources, from the event log (or, while it is unreachable, from the local agent: stale)")
    .option("--json", "print the status as JSON")
    .option("--state-dir <dir>", "the local agent's state dir (its vigil.sock, view.json), read while the log is unreachable")
    .option("--node <name>", "whose default state dir (/var/lib/vigil/NODE) to read while the log is unreachable (default: uname -n)")
    .action((o: Opts, cmd: Command) =>
      run(
        statusCommand(
          { ...common(cmd), ...(typeof o.stateDir === "string" ? { stateDir: o.stateDir } : {}), ...(typeof o.node === "string" ? { node: o.node } : {}) },
          out,
        ),
      ),
    );

  program
    .command("log")
    .description("the event log, oldest first; per-observer copies of one change fold into one line")
    .option("-f, --follow", "keep following new events")
    .option("--json", "one event per line, every event (never folded)")
    .option("--all", "print each observer's copy of a change on its own line")
    .option("--from <seq>", "start at this sequence number")
    .option("--since <time>", "start at an ISO time (2026-01-01T10:00:00Z) or a duration ago (10m, 2h)")
    .option("--type <type>", "only events of this type (any case: nodeup = NodeUp)")
    .option("--node <name>", "only events written by this node")
    .option("--about <name>", "only events about this node (its peer, target, victim, or the groups it holds)")
    .action((o: Opts, cmd: Command) => {
      const s = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
      return run(
        logCommand(
          { ...common(cmd), follow: !!o.follow, all: !!o.all, from: s("from"), since: s("since"), type: s("type"), node: s("node"), about: s("about") },
          out,
        ),
      );
    });

  const node = program.command("node").description("standby and online");
  const nodeCommand = (kind: "standby" | "online", what: string) =>
    writes(node.command(kind).description(what).argument("<node>"))
      .action((n: string, _o: Opts, cmd: Command) => run(operatorCommand({ kind, node: n }, operatorFlags(cmd), out)));
  nodeCommand("standby", "move every group off NODE and keep it empty (crm node standby)");
  nodeCommand("online", "let NODE run groups again");
  node
    .command("confirm-fenced")
    .description("the operator's word that dead NODE is down or was fenced by hand (stonith_admin --confirm)")
    .argument("<node>")
    .option("--json", "print the result (or the error) as JSON")
    .addOption(new Option("--as <name>", "the name recorded as the command's writer (default cli)").hideHelp())
    .action((n: string, o: Opts, cmd: Command) =>
      run(confirmFencedCommand(n, { ...common(cmd), ...(typeof o.as === "string" ? { as: o.as } : {}) }, out)),
    );

  const resource = program.command("resource").description("move, clear and clean up resource groups");
  const groupCommand = (kind: "clear" | "cleanup", what: string) =>
    writes(resource.command(kind).description(what).argument("<group>"))
      .action((group: string, _o: Opts, cmd: Command) => run(operatorCommand({ kind, group } as OperatorCommand, operatorFlags(cmd), out)));
  writes(resource.command("move").description("prefer NODE for GROUP until `resource clear GROUP` (crm resource move)").argument("<group>").argument("<node>"))
    .action((group: string, n: string, _o: Opts, cmd: Command) => run(operatorCommand({ kind: "move", group, node: n }, operatorFlags(cmd), out)));
  groupCommand("clear", "drop GROUP's move preference");
  groupCommand("cleanup", "reset GROUP's failcounts everywhere");

  const hb = program.command("hb").description("heartbeat's hb_standby and hb_takeover, written as moves");
  for (const [kind, what] of [
    ["standby", "move the selected groups held by NODE to another online node (hb_standby)"],
    ["takeover", "move the selected groups to NODE (hb_takeover)"],
  ] as const) {
    writes(
      hb
        .command(kind)
        .description(`${what}; all, foreign (preferred elsewhere) or local (preferred on NODE)`)
        .argument("[which]", "all, foreign or local", "all")
        .option("--node <name>", "the node heartbeat's command would run on (required)"),
    ).action((which: string, o: Opts, cmd: Command) => {
      if (which !== "all" && which !== "foreign" && which !== "local") throw new CliError(`hb ${kind}: "${which}" is not all, foreign or local`, 2);
      if (typeof o.node !== "string") throw new CliError(`hb ${kind}: --node NODE is required (the node heartbeat's command would run on)`, 2);
      return run(hbCommand(kind, which, o.node, operatorFlags(cmd), out));
    });
  }

  const agents = program.command("agents").description("the resource agents this machine can run");
  agents
    .command("list")
    .description("built-in, OCF and script agents")
    .option("--json", "as JSON")
    .action((o: Opts) => run(agentsList(!!o.json, out)));
  agents
    .command("info")
    .description("an agent's parameters, defaults and timeouts")
    .argument("<name>", "Dummy, IPaddr, ocf:heartbeat:IPaddr2, …")
    .addOption(new Option("--json", "as JSON").conflicts("xml"))
    .option("--xml", "as OCF meta-data XML")
    .action((name: string, o: Opts) => run(agentsInfo(name, { json: !!o.json, xml: !!o.xml }, out)));

  return program;
}
