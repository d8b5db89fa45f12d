import { isStaff } from '../../domain/access/principal';
import type { Order } from '../../domain/orders/order';
import {
  historyPosition,
  levelRound,
  PRICE_GUIDANCE,
  priceKey,
  suggestNte,
  summarize,
  withSample,
  type HistoryPosition,
  type PriceKey,
  type PriceSample,
  type PriceStats,
  type RoundStanding,
  type RoundSummary,
} from '../../domain/orders/price-guidance';
import type { Quote } from '../../domain/orders/lifecycle';
import { normalizeCity } from '../../domain/providers/eligibility';
import type { ServiceCategory } from '../../domain/orders/vocabulary';
import { DEFAULT_CURRENCY, type Money } from '../../domain/shared/money';
import type { CallContext } from '../context';
import { ForbiddenError } from '../errors';
import { decidedAgainOnLostRace } from '../lost-race';
import type { AppLogger, ClientRepository, Clock, OrderRepository, Versioned } from '../ports';
import { getOrder } from './orders';

/**
 * Price guidance (docs/orders.md, "Price guidance"): the read model of what closed orders cost, kept
 * from `order.status-changed` to CLOSED by the orders workflow, and the views that read it (the
 * quotes list's positions and levelling, the staff's price guidance, the NTE suggested to
 * `request-quotes` and `assign`). The rules are the domain's (`domain/orders/price-guidance.ts`).
 */

/** The read model: one document per (client, category, city, currency), in the client's partition. */
export interface PriceStatsStore {
  get(key: PriceKey): Promise<Versioned<PriceStats> | undefined>;
  /** Every currency's statistics of one (client, category, city). */
  list(clientId: string, category: ServiceCategory, cityKey: string): Promise<PriceStats[]>;
  /** `etag` null: create only. A lost race (changed, or created meanwhile) is a PreconditionFailedError. */
  put(stats: PriceStats, etag: string | null): Promise<Versioned<PriceStats>>;
}

export interface PriceRecordDeps {
  readonly orders: Pick<OrderRepository, 'get'>;
  readonly clients: Pick<ClientRepository, 'getSite'>;
  readonly priceStats: PriceStatsStore;
  readonly clock: Clock;
}

/**
 * Adds one sample to its key's window, once: a sample already counted (or older than a full window)
 * changes nothing. Concurrent closes of the same key are decided again on the fresh document.
 * Answers whether the window changed. The consumer and the demo seed both write through here.
 */
export async function recordPriceSample(
  deps: Pick<PriceRecordDeps, 'priceStats' | 'clock'>,
  key: PriceKey,
  sample: PriceSample,
): Promise<boolean> {
  return decidedAgainOnLostRace(
    async () => {
      const current = await deps.priceStats.get(key);
      const next = withSample(current?.value.samples ?? [], sample);
      if (!next) return false;
      await deps.priceStats.put(summarize(key, next, deps.clock.now().toISOString()), current?.etag ?? null);
      return true;
    },
    { attempts: 5 },
  );
}

/**
 * `order.status-changed` to CLOSED: the order's invoiced amount becomes a sample of its client,
 * category, site city and invoice currency. Idempotent by order id (`withSample`), so a redelivered
 * event counts nothing twice. An order that is not closed or has no invoice is no sample.
 */
export async function recordClosedOrderPrice(deps: PriceRecordDeps, clientId: string, orderId: string): Promise<boolean> {
  const order = (await deps.orders.get(clientId, orderId))?.value;
  if (!order || order.status !== 'CLOSED' || !order.invoice) return false;
  const site = await deps.clients.getSite(clientId, order.siteId);
  if (!site) return false;
  const amount = order.invoice.amount;
  // CLOSED is final: `updatedAt` is the close and no later transition moves it.
  return recordPriceSample(deps, priceKey(clientId, order.category, site.value.city, amount.currency), {
    orderId,
    amount: amount.amount,
    closedAt: order.updatedAt,
  });
}

/** What the API shows of a key's statistics: never the samples (order ids) themselves. */
export interface HistoryStats {
  readonly currency: string;
  readonly count: number;
  /** Null below the minimum sample (PRICE_GUIDANCE.minSample). */
  readonly p25: number | null;
  readonly median: number | null;
  readonly p75: number | null;
}

const shown = (s: PriceStats): HistoryStats => ({
  currency: s.currency,
  count: s.count,
  p25: s.quartiles?.p25 ?? null,
  median: s.quartiles?.median ?? null,
  p75: s.quartiles?.p75 ?? null,
});

export interface GuidanceDeps {
  readonly orders: OrderRepository;
  readonly clients: Pick<ClientRepository, 'get' | 'getSite'>;
  /** Absent where no read model is wired (then there is no history, never a refusal). */
  readonly priceStats?: PriceStatsStore;
  /** Where an unreadable read model is reported (the caller still gets its answer, without history). */
  readonly logger?: AppLogger;
}

/**
 * The statistics of the order's client, category and site city, every currency. Guidance never
 * blocks: a read model that cannot be read is no history (the caller's action goes on without it).
 */
export async function orderPriceHistory(deps: GuidanceDeps, order: Order, city?: string): Promise<PriceStats[]> {
  if (!deps.priceStats) return [];
  try {
    const at = city ?? (await deps.clients.getSite(order.clientId, order.siteId))?.value.city;
    if (at === undefined) return [];
    return await deps.priceStats.list(order.clientId, order.category, normalizeCity(at));
  } catch (err) {
    deps.logger?.warn('price guidance unavailable; answering without history', { orderId: order.id, error: err });
    return [];
  }
}

/** The NTE suggested for an order in `currency`: the median of its comparable work, if there is enough. */
export async function suggestedNteFor(
  deps: GuidanceDeps,
  order: Order,
  currency: string,
  city?: string,
): Promise<Money | undefined> {
  return suggestNte(await orderPriceHistory(deps, order, city), currency);
}

/** The currency an order's suggestion is given in: its client's. */
async function clientCurrency(deps: GuidanceDeps, clientId: string): Promise<string> {
  try {
    return (await deps.clients.get(clientId))?.value.currency ?? DEFAULT_CURRENCY;
  } catch (err) {
    deps.logger?.warn('client unreadable for price guidance; suggesting in the default currency', { clientId, error: err });
    return DEFAULT_CURRENCY;
  }
}

/** The NTE suggested when a round opens: in the client's currency. */
export async function clientSuggestedNte(deps: GuidanceDeps, order: Order, city: string): Promise<Money | undefined> {
  if (!deps.priceStats) return undefined;
  const [history, currency] = await Promise.all([orderPriceHistory(deps, order, city), clientCurrency(deps, order.clientId)]);
  return suggestNte(history, currency);
}

export interface PriceGuidance {
  readonly orderId: string;
  readonly category: ServiceCategory;
  readonly city: string | null;
  readonly minSample: number;
  readonly history: readonly HistoryStats[];
  readonly suggestedNte: Money | null;
}

/** `GET /orders/{id}/price-guidance`: staff only (a client sees its order, and gets 403 here). */
export async function getPriceGuidance(deps: GuidanceDeps, call: CallContext, orderId: string): Promise<PriceGuidance> {
  const order = (await getOrder(deps, call, orderId)).value;
  if (!isStaff(call.principal)) throw new ForbiddenError('price guidance is for operators');
  const city = (await deps.clients.getSite(order.clientId, order.siteId))?.value.city;
  const history = city === undefined ? [] : await orderPriceHistory(deps, order, city);
  const suggested = suggestNte(history, await clientCurrency(deps, order.clientId));
  return {
    orderId,
    category: order.category,
    city: city ?? null,
    minSample: PRICE_GUIDANCE.minSample,
    history: history.map(shown),
    suggestedNte: suggested ?? null,
  };
}

export type GuidedQuote = Quote & { readonly guidance?: { readonly history: HistoryPosition; readonly round: RoundStanding } };

export interface QuoteList {
  readonly items: readonly GuidedQuote[];
  /** Staff and the client only: the round per currency and the history the positions were judged on. */
  readonly guidance?: {
    readonly rounds: readonly RoundSummary[];
    readonly history: readonly HistoryStats[];
    readonly minSample: number;
  };
}

/**
 * The quotes list with guidance: each quote's position against the order's price history and its
 * standing in the round. A provider sees its own quote only and no guidance (levelling would tell it
 * the others' prices); staff and the client see both once they see the quotes.
 */
export async function withQuoteGuidance(
  deps: GuidanceDeps,
  call: CallContext,
  orderId: string,
  quotes: Quote[],
): Promise<QuoteList> {
  if (!isStaff(call.principal) && call.principal.role !== 'client') return { items: quotes };
  if (quotes.length === 0) return { items: [], guidance: { rounds: [], history: [], minSample: PRICE_GUIDANCE.minSample } };
  const order = (await getOrder(deps, call, orderId)).value;
  const history = await orderPriceHistory(deps, order);
  const { standings, rounds } = levelRound(quotes);
  return {
    items: quotes.map((q) => ({
      ...q,
      guidance: { history: historyPosition(q.amount, history), round: standings.get(q.id) as RoundStanding },
    })),
    guidance: { rounds, history: history.map(shown), minSample: PRICE_GUIDANCE.minSample },
  };
}
