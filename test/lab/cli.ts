// Runs the `vigil` command the way an operator would, from the client host of the lab.
import { vigilArgv } from "./repo-root.js";
import { inNs, run, type CommandResult } from "./sh.js";

export interface VigilCli {
  /** `vigil <args> --nats URLS --cluster NAME` in the client namespace; never throws on a non-zero exit. */
  run(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** argv of `vigil <args> --nats URLS --cluster NAME` in the client namespace, for long-running commands. */
  argv(args: readonly string[]): string[];
}

/** `cluster` names the JetStream stream, as ha.cf's `cluster` line does for the agents. */
export function vigilCli(clientNs: string | undefined, natsUrls: () => string[], cluster: string): VigilCli {
  const argv = (args: readonly string[]) => {
    const a = [...vigilArgv(), ...args, "--nats", natsUrls().join(","), "--cluster", cluster];
    return clientNs ? inNs(clientNs, a) : a;
  };
  return {
    argv,
    run: (args, timeoutMs = 15_000) => run(argv(args), timeoutMs),
  };
}
