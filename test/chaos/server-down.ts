// One NATS server down for a while: kill -9, wait, then restart it on its store (or on an empty one),
// also when the wait is cut short. The fault step of every server-kill kind.
import type { Lab } from "../lab/lab.js";

export async function serverDown(lab: Lab, index: number, ms: number, restart: "store" | "empty" = "store"): Promise<void> {
  await lab.nats.kill(index);
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    await (restart === "empty" ? lab.nats.restartEmpty(index) : lab.nats.restart(index));
  }
}
