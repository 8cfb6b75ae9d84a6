// When the dropped-packet totals are worth a PacketsDropped event: only when they changed in a way an
// operator should hear of. Pure.

/** What was last reported (an opaque key); "" before the first report. */
export type DropsReported = string;

/** The key to record now, or null when the totals hold no news since `last`. */
export function dropsNews(counts: Record<string, number>, rejected: unknown[], last: DropsReported): DropsReported | null {
  // A starting peer's probes are dropped by design (it asks whether its name is taken): counted in
  // the totals, but no news on their own. Else every agent start would put an event in the log.
  const news = Object.entries(counts).filter(([reason]) => reason !== "probe");
  const key = JSON.stringify([news, rejected]);
  return key === last || news.every(([, n]) => n === 0) ? null : key;
}
