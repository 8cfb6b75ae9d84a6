// heartbeat's timing rules (init_config in heartbeat's config.c), with the defaults it fills in.
// A rule that relates two directives is reported on the later of their lines; a defaulted value has
// no line of its own (a default derived from deadtime takes deadtime's line).
import { formatDuration } from "./duration.js";
import { defaultInitdeadMs, defaultWarntimeMs, TIMING_PROFILES } from "./timing-profiles.js";

export interface TimingValue {
  ms: number;
  line: number;
}

export interface Timing {
  keepaliveMs: number;
  warntimeMs: number;
  deadtimeMs: number;
  initdeadMs: number;
}

type Given = Partial<Record<"keepalive" | "warntime" | "deadtime" | "initdead", TimingValue>>;

export function checkTiming(given: Given): { values: Timing; errors: { line: number; message: string }[] } {
  const classic = TIMING_PROFILES.classic;
  const keepalive = given.keepalive ?? { ms: classic.keepaliveMs, line: 0 };
  const deadtime = given.deadtime ?? { ms: classic.deadtimeMs, line: 0 };
  const warntime = given.warntime ?? { ms: defaultWarntimeMs(deadtime.ms), line: deadtime.line };
  const initdead = given.initdead ?? { ms: defaultInitdeadMs(deadtime.ms), line: deadtime.line };
  const later = (a: TimingValue, b: TimingValue) => Math.max(a.line, b.line);
  const show = (name: string, v: TimingValue, given?: TimingValue) =>
    `${name} (${formatDuration(v.ms)}${given ? "" : ", the default"})`;
  const errors: { line: number; message: string }[] = [];

  if (deadtime.ms <= 2 * keepalive.ms) {
    errors.push({
      line: later(keepalive, deadtime),
      message: `${show("deadtime", deadtime, given.deadtime)} must be more than twice ${show("keepalive", keepalive, given.keepalive)}`,
    });
  }
  // A defaulted warntime follows deadtime, so it is wrong only when deadtime is: say that once.
  const warntimeFollows = given.warntime === undefined && errors.length > 0;
  if (warntimeFollows) {
    // reported above
  } else if (warntime.ms <= keepalive.ms) {
    errors.push({
      line: later(keepalive, warntime),
      message: `${show("warntime", warntime, given.warntime)} must be longer than ${show("keepalive", keepalive, given.keepalive)}`,
    });
  } else if (warntime.ms >= deadtime.ms) {
    errors.push({
      line: later(warntime, deadtime),
      message: `${show("warntime", warntime, given.warntime)} must be shorter than ${show("deadtime", deadtime, given.deadtime)}`,
    });
  }
  if (initdead.ms < deadtime.ms) {
    errors.push({
      line: later(initdead, deadtime),
      message: `${show("initdead", initdead, given.initdead)} must be at least ${show("deadtime", deadtime, given.deadtime)}`,
    });
  }
  return {
    values: { keepaliveMs: keepalive.ms, warntimeMs: warntime.ms, deadtimeMs: deadtime.ms, initdeadMs: initdead.ms },
    errors,
  };
}
