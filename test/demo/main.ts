// `npm run demo`: a live Vigil cluster on this machine. As root it runs on the network-namespace lab;
// otherwise it says why and falls back to a loopback-only cluster.
//   --no-nfs      skip the NFS-style group (loop device, ext4, drbdadm stand-in, exportfs)
//   --loopback    use the loopback cluster even as root
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

  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--no-nfs" && a !== "--loopback");
  if (unknown.length) throw new Error(`unknown option ${unknown.join(" ")} (options: --no-nfs, --loopback)`);
  let labOk = !args.includes("--loopback");
  if (labOk) {
    try {
      await assertLabCapable();
    } catch (e) {
      labOk = false;
      say(`The namespace lab is not available here (${(e as Error).message}).`);
      note("Falling back to a loopback-only cluster: unicast heartbeats on 127.0.0.11-13, one local nats-server.");
    }
  }
  const run = labOk ? (s: AbortSignal) => runLabDemo(s, { nfs: !args.includes("--no-nfs") }) : runLoopbackDemo;
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
