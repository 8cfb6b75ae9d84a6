// Test fixture (used by the IPaddr and OCF lab tests): two network namespaces joined by a veth pair,
// each end with an address in 198.51.100.0/24 (TEST-NET-2). Names carry the pid and a random part so
// that parallel runs by other engineers never collide; nothing touches the root namespace.
import { runCommand } from "../exec/run-command.js";

export interface VethPair {
  /** Namespace that holds the resource under test, and its interface. */
  nsA: string;
  devA: string;
  /** The peer namespace (a client on the same link), and its interface. */
  nsB: string;
  devB: string;
  addrA: string;
  addrB: string;
  /** Command prefixes to run inside each namespace. */
  wrapA: string[];
  wrapB: string[];
  destroy(): Promise<void>;
}

async function must(argv: string[]): Promise<void> {
  const r = await runCommand(argv, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (rc ${r.code}): ${r.stderr.trim()}`);
}

export async function createVethPair(tag: string): Promise<VethPair> {
  const unique = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
  const base = `${tag}${unique}`.slice(0, 12); // + "a"/"b" keeps interface names within 15 characters
  const nsA = `vigil-${base}a`;
  const nsB = `vigil-${base}b`;
  const devA = `${base}a`;
  const devB = `${base}b`;
  const pair: VethPair = {
    nsA,
    nsB,
    devA,
    devB,
    addrA: "198.51.100.1",
    addrB: "198.51.100.2",
    wrapA: ["ip", "netns", "exec", nsA],
    wrapB: ["ip", "netns", "exec", nsB],
    destroy: async () => {
      // Deleting the namespaces removes the veth pair and every address in them.
      await runCommand(["ip", "netns", "del", nsA], { timeoutMs: 10_000 });
      await runCommand(["ip", "netns", "del", nsB], { timeoutMs: 10_000 });
    },
  };
  try {
    await must(["ip", "netns", "add", nsA]);
    await must(["ip", "netns", "add", nsB]);
    await must(["ip", "link", "add", devA, "netns", nsA, "type", "veth", "peer", "name", devB, "netns", nsB]);
    await must(["ip", "-n", nsA, "link", "set", "lo", "up"]);
    await must(["ip", "-n", nsB, "link", "set", "lo", "up"]);
    await must(["ip", "-n", nsA, "link", "set", devA, "up"]);
    await must(["ip", "-n", nsB, "link", "set", devB, "up"]);
    await must(["ip", "-n", nsA, "addr", "add", `${pair.addrA}/24`, "dev", devA]);
    await must(["ip", "-n", nsB, "addr", "add", `${pair.addrB}/24`, "dev", devB]);
    return pair;
  } catch (e) {
    await pair.destroy();
    throw e;
  }
}
