// Every lab test tears its lab down after it, also when it fails, and then prints the lab's
// diagnostics (agent log tails) to explain the failure.
import { afterEach } from "vitest";
import type { Lab } from "./lab.js";

/** Registers the afterEach; call the returned function with each lab the test creates. */
export function tearDownLabAfterEach(): (lab: Lab) => Lab {
  let current: Lab | undefined;
  afterEach(async (ctx) => {
    const l = current;
    current = undefined;
    if (l && ctx.task.result?.state === "fail") console.error(`\n===== lab diagnostics =====\n${l.diagnostics()}\n`);
    await l?.destroy();
  });
  return (l) => (current = l);
}
