/**
 * A provider's scorecard, kept from order events (DESIGN 2.2): counters only, so applying an event
 * is an addition, and the rates are derived when read. The ids of the events already applied are
 * kept (bounded) in the same document, so a redelivered event — even one whose processed-event
 * record was never written because the process died — is not counted twice.
 */
export interface ScorecardCounters {
  readonly ordersCompleted: number;
  readonly onSiteOnTime: number;
  readonly resolvedOnTime: number;
  readonly ratingSum: number;
  readonly ratingCount: number;
  readonly quotesSubmitted: number;
  readonly quotesWon: number;
  readonly reworkRequests: number;
  /** Most recent applied event ids, newest last. */
  readonly appliedEventIds: readonly string[];
}

/** Far more than the events in flight for one provider at once; older ids are past any redelivery. */
export const APPLIED_EVENT_MEMORY = 500;

export function emptyScorecard(): ScorecardCounters {
  return {
    ordersCompleted: 0,
    onSiteOnTime: 0,
    resolvedOnTime: 0,
    ratingSum: 0,
    ratingCount: 0,
    quotesSubmitted: 0,
    quotesWon: 0,
    reworkRequests: 0,
    appliedEventIds: [],
  };
}

/** What an order event means for the provider's record. */
export type OrderOutcome =
  | { readonly kind: 'quote-submitted' }
  | { readonly kind: 'quote-won' }
  | { readonly kind: 'work-completed'; readonly onSiteOnTime: boolean; readonly resolvedOnTime: boolean }
  | { readonly kind: 'rated'; readonly score: number }
  | { readonly kind: 'rework-requested' };

/** The counters after one event; the same counters (same object) when the event was applied before. */
export function applyOutcome(s: ScorecardCounters, eventId: string, outcome: OrderOutcome): ScorecardCounters {
  if (s.appliedEventIds.includes(eventId)) return s;
  const next = { ...s, appliedEventIds: [...s.appliedEventIds, eventId].slice(-APPLIED_EVENT_MEMORY) };
  switch (outcome.kind) {
    case 'quote-submitted':
      return { ...next, quotesSubmitted: s.quotesSubmitted + 1 };
    case 'quote-won':
      return { ...next, quotesWon: s.quotesWon + 1 };
    case 'work-completed':
      return {
        ...next,
        ordersCompleted: s.ordersCompleted + 1,
        onSiteOnTime: s.onSiteOnTime + (outcome.onSiteOnTime ? 1 : 0),
        resolvedOnTime: s.resolvedOnTime + (outcome.resolvedOnTime ? 1 : 0),
      };
    case 'rated':
      return { ...next, ratingSum: s.ratingSum + outcome.score, ratingCount: s.ratingCount + 1 };
    case 'rework-requested':
      return { ...next, reworkRequests: s.reworkRequests + 1 };
  }
}

export interface ScorecardView {
  readonly ordersCompleted: number;
  /** Share of completed orders whose on-site clock was met; null before the first completion. */
  readonly onSiteOnTimeRate: number | null;
  readonly resolveOnTimeRate: number | null;
  readonly averageRating: number | null;
  readonly ratings: number;
  readonly quotesSubmitted: number;
  readonly quoteWinRate: number | null;
  readonly reworkRate: number | null;
  /** 0–1, what invitations are ranked by (see `rankScore`). */
  readonly score: number;
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

export function scorecardView(s: ScorecardCounters): ScorecardView {
  return {
    ordersCompleted: s.ordersCompleted,
    onSiteOnTimeRate: ratio(s.onSiteOnTime, s.ordersCompleted),
    resolveOnTimeRate: ratio(s.resolvedOnTime, s.ordersCompleted),
    averageRating: s.ratingCount === 0 ? null : Math.round((s.ratingSum / s.ratingCount) * 100) / 100,
    ratings: s.ratingCount,
    quotesSubmitted: s.quotesSubmitted,
    quoteWinRate: ratio(s.quotesWon, s.quotesSubmitted),
    reworkRate: ratio(s.reworkRequests, s.ordersCompleted),
    score: rankScore(s),
  };
}

/**
 * The ranking score: rating 40 %, punctuality 30 % (on-site and resolve alike), no rework 20 %,
 * quote wins 10 %. A figure without data counts as 0.5, so a new provider ranks in the middle —
 * neither buried under established ones nor above proven good ones.
 */
export function rankScore(s: ScorecardCounters): number {
  const or = (v: number | null) => (v === null ? 0.5 : v);
  const rating = s.ratingCount === 0 ? 0.5 : (s.ratingSum / s.ratingCount - 1) / 4;
  const punctuality = s.ordersCompleted === 0 ? 0.5 : (s.onSiteOnTime + s.resolvedOnTime) / (2 * s.ordersCompleted);
  const noRework = 1 - or(ratio(s.reworkRequests, s.ordersCompleted));
  const wins = or(ratio(s.quotesWon, s.quotesSubmitted));
  return Math.round((0.4 * rating + 0.3 * punctuality + 0.2 * Math.max(0, noRework) + 0.1 * wins) * 1000) / 1000;
}
