// Runs one lvs resource as a process of its own: `node dist/lvs/lvs-director.js SERVICE [BACKEND] [TABLE]`.
// The lab starts it inside the director's namespace with `ip netns exec`, so the health checks'
// sockets and the nft table live there; operators can use it to try a service file by hand.
// Prints one JSON line per fact on stdout; SIGTERM, SIGINT or stdin closing stop the service and exit.
import { createLvs } from "./lvs-agent.js";

const [service, backend = "auto", table] = process.argv.slice(2);
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...o })}\n`);

async function main(): Promise<void> {
  if (!service) {
    process.stderr.write("usage: lvs-director SERVICE [auto|nftables|ipvs] [TABLE]\n");
    process.exit(2);
  }
  const lvs = createLvs(
    { id: `lvs::${service}`, agent: "lvs", args: [service, backend] },
    {
      ...(table ? { tableName: table } : {}),
      onLiveChange: (c) =>
        say({ event: "live-change", server: c.server, alive: c.alive, detail: c.detail, live: [...c.live], applied: c.applied }),
    },
  );
  const started = await lvs.start({ timeoutMs: 20_000 });
  say({ event: "start", ...started });
  if (started.rc !== 0) process.exit(started.rc);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const r = await lvs.stop({ timeoutMs: 20_000 });
    say({ event: "stop", ...r });
    process.exit(r.rc === 0 ? 0 : 1);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
  // The parent going away closes stdin: clean up rather than leave a table nobody checks.
  process.stdin.on("end", () => void stop());
  process.stdin.resume();
}

void main();
