import type { Money } from '../shared/money';
import { normalizeCity } from '../providers/eligibility';
import type { ServiceCategory } from './vocabulary';

/**
 * Price guidance (issue 17, item 5): what comparable work cost this client before, and where a
 * quote stands against that history and against the other quotes of its round. Guidance only:
 * nothing here refuses anything; no history means no position and no suggestion.
 *
 * - A **sample** is a closed order's invoiced amount, kept per (client, category, city, currency):
 *   amounts in different currencies are never compared, averaged or converted.
 * - **Quartiles** are Hyndman & Fan's type 7 (linear interpolation between closest ranks: the
 *   default of R's `quantile`, NumPy's `percentile` and Excel's `QUARTILE.INC`), rounded half up to
 *   whole minor units so that what the API shows is exactly what positions are judged against.
 * - The window keeps the `maxSamples` most recent closes of a key: prices drift (inflation, new
 *   rates), the quartiles should follow today's prices, and the stored document stays small.
 */
export const PRICE_GUIDANCE = {
  /** Fewer samples than this is "no history": four closes are the fewest that make quartiles mean something. */
  minSample: 4,
  /** The most recent closes kept per key (about 4 KB stored; a year of weekly work of one kind at one city). */
  maxSamples: 50,
} as const;

/** One comparable piece of work: a closed order's invoice. */
export interface PriceSample {
  readonly orderId: string;
  /** Minor units of the key's currency. */
  readonly amount: number;
  readonly closedAt: string;
}

/** What a statistic is about. `cityKey` is the city without case or accents ("bogota"). */
export interface PriceKey {
  readonly clientId: string;
  readonly category: ServiceCategory;
  readonly cityKey: string;
  readonly currency: string;
}

export interface Quartiles {
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
}

/** The read model's document: the key, the window of samples and what they summarize to. */
export interface PriceStats extends PriceKey {
  /** Newest first, at most `maxSamples`. */
  readonly samples: readonly PriceSample[];
  readonly count: number;
  /** Absent below `minSample`. */
  readonly quartiles?: Quartiles;
  readonly updatedAt: string;
}

export type HistoryPosition = 'below-p25' | 'p25-p75' | 'above-p75' | 'no-history';

/** The key of a (client, category, city, currency); cities compare as provider eligibility compares them. */
export function priceKey(clientId: string, category: ServiceCategory, city: string, currency: string): PriceKey {
  return { clientId, category, cityKey: normalizeCity(city), currency };
}

/** Type 7 quantile of an ascending, non-empty array, unrounded. */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo] as number;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return below + (h - lo) * (above - below);
}

/** The quartiles of a sample (any order), in whole minor units; undefined when the sample is empty. */
export function quartiles(amounts: readonly number[]): Quartiles | undefined {
  if (amounts.length === 0) return undefined;
  const sorted = [...amounts].sort((a, b) => a - b);
  const at = (p: number) => Math.round(quantile(sorted, p));
  return { p25: at(0.25), median: at(0.5), p75: at(0.75) };
}

/** Newest first; the order id breaks ties so the window is one function of the set of samples. */
const newestFirst = (a: PriceSample, b: PriceSample) =>
  a.closedAt === b.closedAt ? (a.orderId < b.orderId ? 1 : a.orderId > b.orderId ? -1 : 0) : a.closedAt < b.closedAt ? 1 : -1;

/**
 * The window after one more sample, or undefined when it does not change: the order is already
 * counted (a redelivered event), or the window is full of newer closes (the sample would drop out at
 * once). So the window is always the `max` newest of every distinct order ever offered, whatever the
 * order of deliveries and however often each is delivered.
 */
export function withSample(
  samples: readonly PriceSample[],
  sample: PriceSample,
  max: number = PRICE_GUIDANCE.maxSamples,
): PriceSample[] | undefined {
  if (samples.some((s) => s.orderId === sample.orderId)) return undefined;
  const next = [...samples, sample].sort(newestFirst).slice(0, max);
  return next.includes(sample) ? next : undefined;
}

/** The statistics document of a key for a window of samples. */
export function summarize(key: PriceKey, samples: readonly PriceSample[], updatedAt: string): PriceStats {
  const q = samples.length >= PRICE_GUIDANCE.minSample ? quartiles(samples.map((s) => s.amount)) : undefined;
  return {
    clientId: key.clientId,
    category: key.category,
    cityKey: key.cityKey,
    currency: key.currency,
    samples,
    count: samples.length,
    ...(q ? { quartiles: q } : {}),
    updatedAt,
  };
}

/** Where an amount stands against the history of its currency; bounds are inclusive in the middle band. */
export function historyPosition(amount: Money, history: readonly Pick<PriceStats, 'currency' | 'quartiles'>[]): HistoryPosition {
  const q = history.find((h) => h.currency === amount.currency)?.quartiles;
  if (!q) return 'no-history';
  if (amount.amount < q.p25) return 'below-p25';
  if (amount.amount > q.p75) return 'above-p75';
  return 'p25-p75';
}

/** A quote's place in its round, among the quotes of the same currency. */
export interface RoundStanding {
  /** 1 = the lowest; equal amounts share a rank (1, 2, 2, 4). */
  readonly rank: number;
  readonly of: number;
  /** Against the round's median, in percent with one decimal; null when the median is zero. */
  readonly vsMedianPct: number | null;
  readonly lowest: boolean;
  readonly highest: boolean;
}

export interface RoundSummary {
  readonly currency: string;
  readonly count: number;
  readonly median: number;
  readonly lowest: number;
  readonly highest: number;
}

/** One decimal, half away from zero (so +12.35 and −12.35 mirror each other). */
const oneDecimal = (x: number) => (Math.sign(x) * Math.round(Math.abs(x) * 10)) / 10;

/**
 * Bid levelling: every quote against the others of the round, per currency. The median is the
 * round's (type 7, whole minor units), so with two quotes each is as far above as the other below.
 */
export function levelRound<Q extends { readonly id: string; readonly amount: Money }>(
  quotes: readonly Q[],
): { readonly standings: ReadonlyMap<string, RoundStanding>; readonly rounds: readonly RoundSummary[] } {
  const standings = new Map<string, RoundStanding>();
  const rounds: RoundSummary[] = [];
  const currencies = [...new Set(quotes.map((q) => q.amount.currency))].sort();
  for (const currency of currencies) {
    const amounts = quotes.filter((q) => q.amount.currency === currency).map((q) => q.amount.amount);
    const sorted = [...amounts].sort((a, b) => a - b);
    const median = Math.round(quantile(sorted, 0.5));
    const lowest = sorted[0] as number;
    const highest = sorted[sorted.length - 1] as number;
    rounds.push({ currency, count: sorted.length, median, lowest, highest });
    for (const q of quotes.filter((x) => x.amount.currency === currency)) {
      const a = q.amount.amount;
      standings.set(q.id, {
        rank: sorted.filter((x) => x < a).length + 1,
        of: sorted.length,
        vsMedianPct: median === 0 ? null : oneDecimal(((a - median) / median) * 100),
        lowest: a === lowest,
        highest: a === highest,
      });
    }
  }
  return { standings, rounds };
}

/** The suggested not-to-exceed: the median of comparable work in that currency, when there is enough of it. */
export function suggestNte(history: readonly Pick<PriceStats, 'currency' | 'quartiles'>[], currency: string): Money | undefined {
  const q = history.find((h) => h.currency === currency)?.quartiles;
  return q ? { amount: q.median, currency } : undefined;
}

/** What an assignment did with the suggestion, for its history entry. */
export type NteGuidance =
  | { readonly suggested: Money; readonly choice: 'accepted' | 'overridden'; readonly vsSuggestionPct: number | null }
  | { readonly choice: 'no-suggestion' };

export function nteGuidance(amount: Money, suggested: Money | undefined): NteGuidance {
  if (!suggested || suggested.currency !== amount.currency) return { choice: 'no-suggestion' };
  return {
    suggested,
    choice: amount.amount === suggested.amount ? 'accepted' : 'overridden',
    vsSuggestionPct: suggested.amount === 0 ? null : oneDecimal(((amount.amount - suggested.amount) / suggested.amount) * 100),
  };
}
