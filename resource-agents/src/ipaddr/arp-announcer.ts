// Gratuitous ARP after taking an address, so neighbours and switches move to the new owner at once
// instead of waiting for their ARP cache to expire (heartbeat's IPaddr sent several, spaced, for the
// same reason: one packet can be lost). One arping process sends the whole burst: the first packet
// leaves as soon as it starts, the rest follow in the background, bounded in count and time, and the
// burst is cancelled when the address is stopped.
import { runCommand, type CommandResult } from "../exec/run-command.js";

/** Two arping programs are common: Thomas Habets' (`-i IFACE`, Debian's `arping` package) and
 *  iputils' (`-I IFACE`). Their flags for count and unsolicited mode agree. */
export type ArpingFlavour = "habets" | "iputils";

export interface AnnounceSpec {
  ip: string;
  dev: string;
  count: number;
  intervalMs: number;
}

/** The arping command for a burst of unsolicited (gratuitous) ARP requests. */
export function arpingArgv(flavour: ArpingFlavour, a: AnnounceSpec): string[] {
  if (flavour === "habets") {
    // -S: Habets' -U keeps the interface's primary address as sender unless told, and a gratuitous ARP
    // must carry the announced address as sender (and target) IP. -W: seconds between packets;
    // -w: overall deadline, so the last packet does not wait for a reply that never comes.
    const deadlineS = ((a.count - 1) * a.intervalMs + 100) / 1000;
    return ["arping", "-q", "-U", "-c", String(a.count), "-W", String(a.intervalMs / 1000), "-w", String(deadlineS), "-S", a.ip, "-i", a.dev, a.ip];
  }
  // iputils' arping spaces packets one second apart and expects no reply in -U mode.
  return ["arping", "-q", "-U", "-c", String(a.count), "-I", a.dev, a.ip];
}

/** Reads the flavour from `arping --help` output. */
export function arpingFlavourFromHelp(helpText: string): ArpingFlavour {
  return /habets|-i interface/i.test(helpText) ? "habets" : "iputils";
}

const flavourCache = new Map<string, Promise<ArpingFlavour>>();

export function detectArpingFlavour(wrap: readonly string[]): Promise<ArpingFlavour> {
  const key = wrap.join("\0");
  let p = flavourCache.get(key);
  if (!p) {
    p = runCommand([...wrap, "arping", "--help"], { timeoutMs: 2_000 }).then((r) => arpingFlavourFromHelp(r.stdout + r.stderr));
    flavourCache.set(key, p);
  }
  return p;
}

export interface AnnounceReport {
  sent: boolean;
  cancelled: boolean;
  message: string;
}

/** A running burst. `done` settles when arping exits; `cancel()` kills it (used by stop). */
export interface Announcement {
  done: Promise<AnnounceReport>;
  cancel(): void;
}

export function announce(wrap: readonly string[], flavour: ArpingFlavour, a: AnnounceSpec): Announcement {
  const controller = new AbortController();
  const argv = [...wrap, ...arpingArgv(flavour, a)];
  // Bounded: the burst's own length plus a margin; iputils spaces packets 1 s apart.
  const spacing = flavour === "habets" ? a.intervalMs : 1_000;
  const timeoutMs = (a.count - 1) * spacing + 3_000;
  const done = runCommand(argv, { timeoutMs, signal: controller.signal }).then((r) => report(r, controller.signal.aborted));
  return { done, cancel: () => controller.abort() };
}

function report(r: CommandResult, cancelled: boolean): AnnounceReport {
  if (cancelled) return { sent: false, cancelled, message: "gratuitous ARP cancelled" };
  // arping exits 1 when nothing answered, which is the normal outcome of a gratuitous ARP.
  if (r.code === 0 || r.code === 1) return { sent: true, cancelled, message: "gratuitous ARP sent" };
  if (r.code === 127) return { sent: false, cancelled, message: "gratuitous ARP not sent: arping is not installed" };
  return { sent: false, cancelled, message: `gratuitous ARP failed (rc ${r.code}): ${r.stderr.trim().slice(0, 200)}` };
}
