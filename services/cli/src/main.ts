// `vigil`: the operator's command. Prints for people by default and `--json` for scripts: under
// `--json` an error is `{"ok":false,"error":"…"}` on stderr, so stdout holds only data (a
// `vigil log --json | jq` never reads an error as an event).
// Exit codes: 0 done, 1 the cluster cannot (or the log is unreachable), 2 bad usage or configuration.
import { type Command, CommanderError } from "commander";
import { CliError } from "./cli-context.js";
import { buildProgram } from "./dispatch.js";

// `vigil log | head`: a closed pipe ends the command quietly, as it does for other Unix tools.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const out = (s: string) => void process.stdout.write(s + "\n");
  const fail = (message: string, code: number): number => {
    process.stderr.write(json ? `${JSON.stringify({ ok: false, error: message })}\n` : `vigil: ${message}\n`);
    return code;
  };
  let code = 0;
  // commander reports usage errors by throwing (exitOverride); its own text is kept for the message.
  let usageError = "";
  const program = buildProgram(out, (c) => void (code = c), (m) => void (usageError = m));
  if (argv.length === 0) return out(program.helpInformation().trimEnd()), 0;
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
      // A command group without its subcommand (`vigil node`): commander printed that group's usage.
      if (e.code === "commander.help") return 2;
      const where = commandPath(program, argv.filter((a) => !a.startsWith("-")));
      return fail(`${usageError || e.message.replace(/^error: /, "")}${where ? ` (see vigil ${where} --help)` : " (see vigil --help)"}`, 2);
    }
    if (e instanceof CliError) return fail(e.message, e.exitCode);
    return fail((e as Error).stack ?? String(e), 1);
  }
}

/** The deepest command named by argv's leading words (`resource move`), for the "see --help" hint. */
function commandPath(program: Command, argv: string[]): string {
  const words: string[] = [];
  let cmd = program;
  for (const a of argv) {
    const sub = cmd.commands.find((c) => c.name() === a);
    if (!sub) break;
    words.push(a);
    cmd = sub;
  }
  return words.join(" ");
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Let stdout drain, then leave even if a library left a handle open.
  setImmediate(() => process.exit(code));
});
