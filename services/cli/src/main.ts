// `vigil`: the operator's command. Prints for people by default and `--json` for scripts.
import { parseArgs } from "node:util";
import { CliError } from "./cli-context.js";
import { dispatch, USAGE } from "./dispatch.js";

const options = {
  nats: { type: "string" },
  cluster: { type: "string" },
  config: { type: "string" },
  node: { type: "string" },
  "state-dir": { type: "string" },
  json: { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  from: { type: "string" },
  since: { type: "string" },
  type: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  as: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

// `vigil log | head`: a closed pipe ends the command quietly, as it does for other Unix tools.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`vigil: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const out = (s: string) => void process.stdout.write(s + "\n");
  try {
    return await dispatch(parsed.positionals, parsed.values, out);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`vigil: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a library left a handle open.
    setImmediate(() => process.exit(code));
  },
);
