// The lab's AgentSet passes the demo's own environment to each agent it spawns. Per-node variables
// (the drbdadm stand-in's node name, OCF's HA_RSCTMP) are set only around the spawn, which copies the
// environment at once, and restored right after.
export function withEnv<T>(env: Record<string, string>, spawn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return spawn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
