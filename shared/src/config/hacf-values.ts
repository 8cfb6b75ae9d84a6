// Small value parsers shared by ha.cf's directives.

/** heartbeat's cl_str_to_boolean: yes/no, true/false, on/off, y/n, 1/0, any case. */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (["yes", "true", "on", "y", "1"].includes(t)) return true;
  if (["no", "false", "off", "n", "0"].includes(t)) return false;
  return undefined;
}

/** syslog facilities heartbeat accepts for `logfacility` (plus `none`, which turns syslog off). */
export const SYSLOG_FACILITIES: readonly string[] = [
  "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "syslog", "user", "uucp",
  "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7", "none",
];

/** Node names are `uname -n` names: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export function isNodeName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s);
}

/** `nats://host:port` (also tls://, ws://, wss://) or a bare `host:port`, as nats.js accepts. */
export function isNatsServer(s: string): boolean {
  if (s.includes("://")) {
    try {
      const u = new URL(s);
      return ["nats:", "tls:", "ws:", "wss:"].includes(u.protocol) && u.hostname !== "";
    } catch {
      return false;
    }
  }
  return /^[A-Za-z0-9.-]+:\d{1,5}$/.test(s);
}

/** heartbeat directives that have no meaning in Vigil but appear in working ha.cf files. */
export const IGNORED_DIRECTIVES: ReadonlySet<string> = new Set([
  "respawn", "apiauth", "compression", "compression_threshold", "traditional_compression", "coredumps",
  "coreroot", "realtime", "rtprio", "msgfmt", "conn_logd_time", "uuidfrom", "hopfudge", "max_rexmit_delay",
  "generation_method", "badpack_warn", "memreserve", "register_to_apphbd", "autojoin", "hbgenmethod",
]);

/** heartbeat directives Vigil refuses, with what to do instead. */
export const UNSUPPORTED_DIRECTIVES: ReadonlyMap<string, string> = new Map([
  ["serial", "serial heartbeat links are not supported; use mcast, bcast or ucast"],
  ["baud", "serial heartbeat links are not supported; use mcast, bcast or ucast"],
  ["watchdog", "the watchdog device is not supported"],
  ["stonith", "heartbeat's stonith plugins are not supported; use \"fence_agent fence_NAME key=value…\" (a fence_* agent) or \"fence COMMAND ARGS…\""],
  ["stonith_host", "heartbeat's stonith plugins are not supported; use \"fence_agent fence_NAME key=value…\" (a fence_* agent) or \"fence COMMAND ARGS…\""],
  ["nice_failback", "nice_failback is obsolete (heartbeat too refuses it); use \"auto_failback on|off\""],
  ["deadping", "deadping is not supported; ping nodes use deadtime"],
  ["ping_group", "ping_group is not supported; list the addresses on a ping line"],
]);
