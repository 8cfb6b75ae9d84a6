// Maps `vigil <words…>` to a command.
import { runAgent, VERSION } from "@vigil/agent/agent";
import { CliError } from "./cli-context.js";
import { agentsInfo, agentsList } from "./commands/agents.js";
import { configCheck } from "./commands/config-check.js";
import { logCommand } from "./commands/log.js";
import { hbCommand, operatorCommand } from "./commands/operator.js";
import { statusCommand } from "./commands/status.js";
import { confirmFencedCommand } from "./commands/confirm-fenced.js";

export const USAGE = `usage: vigil <command> [options]

  agent --config DIR [--node NAME] [--nats URL[,URL…]] [--state-dir DIR]
                                  run the node agent (logs pino JSON to stderr)
  config check DIR [--node NAME] [--json]
                                  check ha.cf, haresources and authkeys in DIR
  status [--json] [--state-dir DIR]
                                  nodes, quorum, groups and resources, from the event log
                                  (or, while it is unreachable, from the local agent: stale)
  log [-f] [--json] [--from SEQ | --since TIME] [--type T] [--node N]
                                  the event log, oldest first; -f keeps following
  node standby NODE [--wait]      move every group off NODE and keep it empty
  node online NODE [--wait]       let NODE run groups again
  node confirm-fenced NODE        the operator's word that dead NODE is down (stonith_admin --confirm)
  resource move GROUP NODE [--wait]   prefer NODE for GROUP until cleared
  resource clear GROUP [--wait]       drop the move preference
  resource cleanup GROUP [--wait]     reset GROUP's failcounts everywhere
  hb standby [all|foreign|local] --node NODE   heartbeat's hb_standby, as moves away from NODE
  hb takeover [all|foreign|local] --node NODE  heartbeat's hb_takeover, as moves to NODE
  agents list [--json]            the resource agents this machine can run
  agents info NAME [--json]       an agent's parameters and timeouts (OCF meta-data)

  Commands that read or write the log take --nats URL[,URL…] (or VIGIL_NATS), --cluster NAME
  (or VIGIL_CLUSTER), or --config DIR to read both from ha.cf. --wait waits until the cluster has
  carried the command out (--timeout SECONDS, default 30).`;

type Flags = Record<string, string | boolean | undefined>;

function need(words: string[], n: number, usage: string): void {
  if (words.length !== n) throw new CliError(`usage: vigil ${usage}`, 2);
}

export async function dispatch(words: string[], f: Flags, out: (s: string) => void): Promise<number> {
  const s = (k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);
  const common = { nats: s("nats"), cluster: s("cluster"), config: s("config"), json: !!f.json };
  const op = { ...common, wait: !!f.wait, timeout: s("timeout"), as: s("as") };
  if (f.version) return out(VERSION), 0;
  const [cmd, sub, a, b] = words;
  if (f.help || !cmd || cmd === "help") return out(USAGE), 0;
  switch (cmd) {
    case "agent": {
      need(words, 1, "agent --config DIR [--node NAME] [--nats URL,…]");
      const dir = s("config");
      if (!dir) throw new CliError("agent: --config DIR is required", 2);
      return runAgent({
        configDir: dir,
        ...(s("node") ? { node: s("node") } : {}),
        ...(s("nats") ? { nats: [s("nats")!] } : process.env.VIGIL_NATS ? { nats: [process.env.VIGIL_NATS] } : {}),
        ...(s("state-dir") ? { stateDir: s("state-dir") } : {}),
      });
    }
    case "config":
      if (sub !== "check" || !a) throw new CliError("usage: vigil config check DIR", 2);
      return configCheck(a, { ...(s("node") ? { node: s("node") } : {}), json: !!f.json });
    case "status":
      need(words, 1, "status [--json]");
      return statusCommand({ ...common, stateDir: s("state-dir"), node: s("node") }, out);
    case "log":
      need(words, 1, "log [-f] [--json] [--from SEQ | --since TIME] [--type T] [--node N]");
      return logCommand(
        { ...common, follow: !!f.follow, from: s("from"), since: s("since"), type: s("type"), node: s("node") },
        out,
      );
    case "node":
      if (sub === "confirm-fenced" && a && !b) return confirmFencedCommand(a, op, out);
      if ((sub === "standby" || sub === "online") && a && !b) return operatorCommand({ kind: sub, node: a }, op, out);
      throw new CliError("usage: vigil node standby|online NODE [--wait]", 2);
    case "resource":
      if (sub === "move" && a && b) return operatorCommand({ kind: "move", group: a, node: b }, op, out);
      if ((sub === "clear" || sub === "cleanup") && a && !b) return operatorCommand({ kind: sub, group: a }, op, out);
      throw new CliError("usage: vigil resource move GROUP NODE | clear GROUP | cleanup GROUP [--wait]", 2);
    case "agents":
      if (sub === "list" && !a) return agentsList(!!f.json, out);
      if (sub === "info" && a && !b) return agentsInfo(a, !!f.json, out);
      throw new CliError("usage: vigil agents list | agents info NAME", 2);
    case "hb": {
      if ((sub !== "standby" && sub !== "takeover") || b) throw new CliError("usage: vigil hb standby|takeover [all|foreign|local] --node NODE", 2);
      const which = a ?? "all";
      if (which !== "all" && which !== "foreign" && which !== "local") throw new CliError(`hb ${sub}: "${which}" is not all, foreign or local`, 2);
      const node = s("node");
      if (!node) throw new CliError(`hb ${sub}: --node NODE is required (the node heartbeat's command would run on)`, 2);
      return hbCommand(sub, which, node, op, out);
    }
    default:
      throw new CliError(`unknown command "${cmd}"\n\n${USAGE}`, 2);
  }
}
