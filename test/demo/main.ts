// `npm run demo`: a live Vigil cluster on this machine. As root it runs on the network-namespace lab;
// otherwise it says why and falls back to a loopback-only cluster.
import { leaveSignalsToCaller } from "../lab/exit-cleanup.js";
import { assertLabCapable } from "../lab/netns.js";
import { runLabDemo } from "./lab-demo.js";
import { runLoopbackDemo } from "./loopback-demo.js";
import { note, say } from "./narrate.js";

async function main(): Promise<number> {
  const abort = new AbortController();
  leaveSignalsToCaller();
  let interrupts = 0;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      interrupts++;
      if (interrupts > 1) process.exit(130); // the `exit` sweep still kills our pids and namespaces
      say(`${sig}: stopping the demo and cleaning up (again to force)`);
      abort.abort();
    });
  }

  let labOk = true;
  try {
    await assertLabCapable();
  } catch (e) {
    labOk = false;
    say(`The namespace lab is not available here (${(e as Error).message}).`);
    note("Falling back to a loopback-only cluster: unicast heartbeats on 127.0.0.11-13, one local nats-server.");
  }
  const run = labOk ? runLabDemo : runLoopbackDemo;
  // Ctrl-C cancels the event waits; `run` then tears everything down in its `finally` before returning.
  await run(abort.signal).catch((e: Error) => {
    if (!abort.signal.aborted) throw e;
  });
  return abort.signal.aborted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`demo failed: ${e.message}\n`);
    process.exit(1);
  },
);
