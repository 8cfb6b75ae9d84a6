// Where a CLI command finds the cluster: NATS URLs and the cluster name, from flags, environment or
// the heartbeat config directory, in that order.
import { existsSync, readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, parseNatsUrls } from "@vigil/log-client/connection";

export interface CommonFlags {
  nats?: string;
  cluster?: string;
  config?: string;
  json?: boolean;
}

/** One class for every error shown as one line; the log reader throws it too (no such cluster, no answer). */
import { UserError as CliError } from "@vigil/shared/user-error";
export { CliError };

/** Reads `nats` and `cluster` lines from ha.cf without validating the rest (that is `config check`'s job). */
function fromHaCf(dir: string): { nats: string[]; cluster?: string } {
  const file = `${dir}/ha.cf`;
  if (!existsSync(file)) return { nats: [] };
  const out: { nats: string[]; cluster?: string } = { nats: [] };
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const [key, ...rest] = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (key === "nats") out.nats.push(...rest);
    if (key === "cluster" && rest[0]) out.cluster = rest[0];
  }
  return out;
}

export function resolveCluster(f: CommonFlags): { servers: string[]; cluster: string } {
  const given = f.config ?? process.env.VIGIL_CONFIG;
  // Only the default directory may be absent: a directory the operator named must hold ha.cf.
  if (given !== undefined && !existsSync(`${given}/ha.cf`)) {
    throw new CliError(`--config ${given}: ${existsSync(given) ? "no ha.cf in that directory" : "no such directory"}`, 2);
  }
  const cf = fromHaCf(given ?? "/etc/ha.d");
  const urls = f.nats ?? process.env.VIGIL_NATS ?? (cf.nats.length ? cf.nats.join(",") : "nats://127.0.0.1:4222");
  return { servers: parseNatsUrls(urls), cluster: f.cluster ?? process.env.VIGIL_CLUSTER ?? cf.cluster ?? "vigil" };
}

export async function connectCli(f: CommonFlags): Promise<{ nc: NatsConnection; cluster: string }> {
  const { servers, cluster } = resolveCluster(f);
  try {
    const nc = await connectNats({ servers, name: "vigil-cli", waitOnFirstConnect: false, timeoutMs: 3_000 });
    return { nc, cluster };
  } catch (e) {
    throw new CliError(`cannot reach the event log at ${servers.join(",")}: ${(e as Error).message}`);
  }
}
