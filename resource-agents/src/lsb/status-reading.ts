// How a script's answers become OCF results — pure, so each rule is tested on its own.
import { OCF } from "../agent-interface.js";

/** heartbeat's rule for resource.d scripts: `status` must print "OK" or "running" when the resource is
 *  active and neither when it is not; the exit code is ignored (linux-ha.org, HeartbeatResourceAgent —
 *  a hangover from init scripts whose status exit codes could not be trusted).
 *  One deliberate deviation: "not running" counts as stopped, which heartbeat's substring match got wrong. */
export function heartbeatStatusRunning(output: string): boolean {
  const cleaned = output.replace(/\bnot\s+running\b/gi, "");
  return /\bOK\b/.test(cleaned) || /running/i.test(cleaned);
}

/** LSB init script `status` exit codes (LSB core, Init Script Actions): 0 running; 1 dead with a pid file;
 *  2 dead with a lock file; 3 not running; 4 unknown. Dead-but-leftovers reads as not running, as
 *  Pacemaker's LSB class does; unknown is a failure. */
export function lsbStatusToOcf(code: number): number {
  if (code === 0) return OCF.SUCCESS;
  if (code === 1 || code === 2 || code === 3) return OCF.NOT_RUNNING;
  return OCF.ERR_GENERIC;
}

/** LSB start/stop exit codes 1-6 mean what OCF's do (generic, args, unimplemented, permission, not
 *  installed, not configured); anything else is a generic failure. */
export function lsbActionToOcf(code: number): number {
  if (code >= 0 && code <= 6) return code;
  return OCF.ERR_GENERIC;
}
