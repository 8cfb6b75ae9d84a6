// Which `vigil log -f` lines the demo shows live, and how: the full log is long (every heartbeat
// verdict, every monitor), so the demo keeps the lines that explain a move and trims the timestamp.

/** Event types shown live; everything else stays in the log (`vigil log` prints it all). */
export const SHOWN_TYPES: ReadonlySet<string> = new Set([
  "NodeDead", "NodeReturned", "NodeRestarted", "MembershipChanged", "QuorumLost", "QuorumRegained",
  "PlacementDecided", "GroupStarting", "GroupStarted", "GroupStopping", "GroupStopped", "GroupBlocked", "GroupMoved",
  "ResourceStarted", "ResourceStopped", "ResourceFailed",
  "StandbyRequested", "OnlineRequested", "MoveRequested", "MoveCleared", "CleanupRequested", "FailcountCleared",
  "FenceRequested", "Fenced", "AgentStopping", "AgentStopped", "ConfigRejected",
]);

// `vigil log`'s human line: `<ISO time>  #<seq>  <node> <type> <fields> (<cause>)`.
const LINE = /^(\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d\.\d+)Z)\s+(#\d+)\s+(\S+)\s+(\S+)\s*(.*)$/;

/**
 * The line as the demo prints it (time of day only, at most `width` characters), or undefined when
 * its type is not shown. A line that does not parse is shown as it is: never hide what we cannot read.
 */
export function demoLogLine(line: string, shown: ReadonlySet<string> = SHOWN_TYPES, width = 170): string | undefined {
  const m = LINE.exec(line);
  if (!m) return line.trim() === "" ? undefined : line;
  const [, , clock, seq, node, type, rest] = m;
  if (!shown.has(type!)) return undefined;
  const text = `${clock} ${seq!.padStart(5)} ${node!.padEnd(4)} ${type!.padEnd(17)} ${rest}`;
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
