/**
 * Time on site from the order's history (issue 17): a `check-in` opens an interval, the next
 * `check-out` or `complete` closes it. A rework round (`request-rework` → `check-in` again) adds an
 * interval; a second check-in while one is open changes nothing (the first arrival counts); a
 * check-out with nothing open is ignored. Hold and resume do not stop the time: the provider is
 * still on site, waiting. An interval still open at the end counts until `until` when it is given
 * (else not at all). Pure, so the invoice rules and tests share it.
 */

export interface FieldHistoryEntry {
  readonly action: string;
  readonly at: string;
}

export interface OnSiteInterval {
  readonly from: string;
  readonly to: string;
}

const OPENS = new Set(['check-in']);
const CLOSES = new Set(['check-out', 'complete']);

/** The closed on-site intervals, in history order. Entries must be in history order (by `seq`). */
export function onSiteIntervals(history: readonly FieldHistoryEntry[], until?: string): OnSiteInterval[] {
  const intervals: OnSiteInterval[] = [];
  let open: string | undefined;
  for (const e of history) {
    if (OPENS.has(e.action) && open === undefined) open = e.at;
    else if (CLOSES.has(e.action) && open !== undefined) {
      intervals.push({ from: open, to: e.at });
      open = undefined;
    }
  }
  if (open !== undefined && until !== undefined) intervals.push({ from: open, to: until });
  return intervals;
}

/** Whole minutes on site (rounded down); an interval whose end precedes its start counts as zero. */
export function minutesOnSite(history: readonly FieldHistoryEntry[], until?: string): number {
  const ms = onSiteIntervals(history, until).reduce((sum, i) => sum + Math.max(0, Date.parse(i.to) - Date.parse(i.from)), 0);
  return Math.floor(ms / 60_000);
}
