import type { AppLogger } from '../../shared/application/ports';
import { beforeEach, describe, expect, it } from 'vitest';
import { demoProvider } from '../../local/seed';
import { ForbiddenError, NotFoundError, PreconditionFailedError } from '../../shared/application/errors';
import { performOrderAction, submitQuote, type LifecycleDeps } from '../../shared/application/orders/lifecycle';
import {
  getPriceGuidance,
  recordClosedOrderPrice,
  type PriceRecordDeps,
  type PriceStatsStore,
} from '../../shared/application/orders/price-guidance';
import { listGuidedQuotes } from '../../shared/application/orders/quote-list';
import type { Principal } from '../../shared/domain/access/principal';
import type { Order } from '../../shared/domain/orders/order';
import { priceKey } from '../../shared/domain/orders/price-guidance';
import { CLIENT, client, operator, provider, PROVIDER, world, type World } from '../support/order-world';
import { MemoryPriceStats } from '../support/price-stats-memory';

/**
 * The price guidance's use cases on in-memory ports: the read model kept from closed orders (once
 * per order, however often the close is delivered), the quotes list's guidance per role, the staff
 * endpoint, and the suggestion `request-quotes` and `assign` record — never a refusal.
 */
const OTHER_CLIENT = 'cli_00000000000000000000000009';
const SECOND_PROVIDER = 'prv_00000000000000000000000002';
const M = 1_000_000_00; // a million pesos, in centavos
/** `x` million pesos, in whole centavos. */
const m = (x: number) => Math.round(x * M);
const call = (principal: Principal) => ({ principal, correlationId: 'c' });
const cop = (amount: number) => ({ amount, currency: 'COP' });

let w: World;
let stats: MemoryPriceStats;
let deps: LifecycleDeps;
let record: PriceRecordDeps;
let seq = 0;

/** A closed, invoiced order of `clientId` at `siteId`, stored as the lifecycle leaves it. */
async function closedOrder(amount: { amount: number; currency: string }, opts: { clientId?: string; siteId?: string } = {}) {
  const clientId = opts.clientId ?? CLIENT;
  const id = `ord_${clientId.slice(4)}_${String(++seq).padStart(26, '0')}`;
  const at = new Date(Date.UTC(2026, 10, 1) + seq * 3_600_000).toISOString();
  const order: Order = {
    id,
    clientId,
    siteId: opts.siteId ?? 'sit_1',
    category: 'hvac',
    priority: 'P3',
    title: 'AC',
    description: 'x',
    requester: { userId: 'u-cli', name: 'C' },
    channel: 'dashboard',
    status: 'CLOSED',
    providerId: PROVIDER,
    approvedAmount: amount,
    invoice: { invoiceNumber: `FV-${seq}`, amount, at },
    createdAt: at,
    updatedAt: at,
    version: 12,
  };
  await w.orders.create(order, [], []);
  return id;
}

beforeEach(async () => {
  w = await world('2026-12-01T14:00:00.000Z');
  stats = new MemoryPriceStats();
  deps = { ...w.deps, priceStats: stats };
  record = { orders: w.orders, clients: w.deps.clients, priceStats: stats, clock: w.deps.clock };
  const clients = w.deps.clients;
  await clients.create({
    id: OTHER_CLIENT,
    name: 'B',
    timeZone: 'America/Bogota',
    currency: 'COP',
    createdAt: w.now(),
    createdBy: 'x',
  });
  await clients.addSite({
    id: 'sit_b',
    clientId: OTHER_CLIENT,
    name: 'B HQ',
    address: 'Cra 2',
    city: 'bogota',
    createdAt: w.now(),
  });
  await clients.addSite({
    id: 'sit_2',
    clientId: CLIENT,
    name: 'Norte',
    address: 'Cl 170',
    city: ' BOGOTA ',
    createdAt: w.now(),
  });
  await w.deps.providers.create(demoProvider(SECOND_PROVIDER, 'Q', '900123456-8', ['hvac'], ['Bogotá']), [], []);
});

const keyOf = (clientId = CLIENT, currency = 'COP') => priceKey(clientId, 'hvac', 'Bogotá', currency);

describe('the read model, kept from closed orders', () => {
  it('counts each closed order once, however often its close is delivered', async () => {
    const id = await closedOrder(cop(M));
    expect(await recordClosedOrderPrice(record, CLIENT, id)).toBe(true);
    // The same close delivered again (a redelivery after a crash before the processed record).
    expect(await recordClosedOrderPrice(record, CLIENT, id)).toBe(false);
    expect(await recordClosedOrderPrice(record, CLIENT, id)).toBe(false);
    expect((await stats.get(keyOf()))?.value).toMatchObject({ count: 1, samples: [{ orderId: id, amount: M }] });
    expect(stats.writes).toHaveLength(1);
  });

  it('takes the site’s city without case or accents, keeps currencies apart and clients apart', async () => {
    await closedOrder(cop(M));
    await closedOrder(cop(m(2)), { siteId: 'sit_2' }); // " BOGOTA ": the same city
    await closedOrder({ amount: 500_00, currency: 'USD' });
    await closedOrder(cop(m(9)), { clientId: OTHER_CLIENT, siteId: 'sit_b' });
    for (const o of w.orders.orders.values()) await recordClosedOrderPrice(record, o.value.clientId, o.value.id);
    expect((await stats.get(keyOf()))?.value.samples.map((s) => s.amount)).toEqual([m(2), M]);
    expect((await stats.get(keyOf(CLIENT, 'USD')))?.value.count).toBe(1);
    expect((await stats.get(keyOf(OTHER_CLIENT)))?.value.samples.map((s) => s.amount)).toEqual([m(9)]);
  });

  it('ignores an order that is not closed, and one that does not exist', async () => {
    const open = (await w.create('P3')).id;
    expect(await recordClosedOrderPrice(record, CLIENT, open)).toBe(false);
    expect(await recordClosedOrderPrice(record, CLIENT, 'ord_missing')).toBe(false);
    expect(stats.writes).toHaveLength(0);
  });

  it('counts concurrent closes of the same key, each once (a lost race is decided again)', async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => closedOrder(cop(m(n)))));
    // Every close delivered twice at once; a delivery that loses its races too often fails and the
    // bus delivers it again, as it would.
    const deliver = async (id: string): Promise<void> => {
      try {
        await recordClosedOrderPrice(record, CLIENT, id);
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        await deliver(id);
      }
    };
    await Promise.all([...ids, ...ids].map(deliver));
    const value = (await stats.get(keyOf()))?.value;
    expect(value?.count).toBe(5);
    expect(value?.quartiles).toEqual({ p25: m(2), median: m(3), p75: m(4) });
  });
});

/** Four closes of hvac in Bogotá: quartiles 1.075 / 1.15 / 1.225 million. */
async function withHistory() {
  for (const amount of [M, m(1.1), m(1.2), m(1.3)]) await recordClosedOrderPrice(record, CLIENT, await closedOrder(cop(amount)));
}

/** An order in QUOTING with a quote of each provider (amounts in centavos). */
async function quotedRound(first: number, second: number) {
  const id = (await w.create('P3')).id;
  await performOrderAction(deps, call(operator), id, 'triage', {});
  await performOrderAction(deps, call(operator), id, 'request-quotes', { quoteDeadline: '2026-12-02T17:00:00.000Z' });
  const quote = { leadTimeDays: 2, validUntil: '2026-12-31' };
  await submitQuote(deps, call(provider), id, { ...quote, amount: cop(first) });
  const other: Principal = { userId: 'u-prv2', role: 'provider', providerId: SECOND_PROVIDER };
  await submitQuote(deps, call(other), id, { ...quote, amount: cop(second) });
  return { id, other };
}

describe('the quotes list with guidance', () => {
  it('staff see each quote against history and the round, with the history used', async () => {
    await withHistory();
    const { id } = await quotedRound(m(1.5), m(1.1));
    const list = await listGuidedQuotes(deps, call(operator), id);
    const byProvider = Object.fromEntries(list.items.map((q) => [q.providerId, q.guidance]));
    expect(byProvider[PROVIDER]).toEqual({
      history: 'above-p75',
      round: { rank: 2, of: 2, vsMedianPct: 15.4, lowest: false, highest: true },
    });
    expect(byProvider[SECOND_PROVIDER]).toEqual({
      history: 'p25-p75',
      round: { rank: 1, of: 2, vsMedianPct: -15.4, lowest: true, highest: false },
    });
    expect(list.guidance).toEqual({
      rounds: [{ currency: 'COP', count: 2, median: m(1.3), lowest: m(1.1), highest: m(1.5) }],
      history: [{ currency: 'COP', count: 4, p25: m(1.075), median: m(1.15), p75: m(1.225) }],
      minSample: 4,
    });
  });

  it('a provider sees its own quote and no guidance; the client sees it once the round is closed', async () => {
    await withHistory();
    const { id, other } = await quotedRound(m(1.5), m(1.1));
    const own = await listGuidedQuotes(deps, call(other), id);
    expect(own.items.map((q) => q.providerId)).toEqual([SECOND_PROVIDER]);
    expect(own.guidance).toBeUndefined();
    expect(own.items[0]).not.toHaveProperty('guidance');
    expect((await listGuidedQuotes(deps, call(client), id)).items).toEqual([]);
    w.advance(30 * 3_600_000); // past the deadline
    const seen = await listGuidedQuotes(deps, call(client), id);
    expect(seen.items.map((q) => q.guidance?.history).sort()).toEqual(['above-p75', 'p25-p75']);
  });

  it('without enough history every quote is no-history, and the round is still levelled', async () => {
    await recordClosedOrderPrice(record, CLIENT, await closedOrder(cop(M)));
    const { id } = await quotedRound(m(1.5), m(1.1));
    const list = await listGuidedQuotes(deps, call(operator), id);
    expect(list.items.map((q) => q.guidance?.history)).toEqual(['no-history', 'no-history']);
    expect(list.guidance?.history).toEqual([{ currency: 'COP', count: 1, p25: null, median: null, p75: null }]);
    expect(list.items.map((q) => q.guidance?.round.rank).sort()).toEqual([1, 2]);
  });

  it('another client’s history never counts', async () => {
    for (const amount of [M, m(1.1), m(1.2), m(1.3)])
      await recordClosedOrderPrice(
        record,
        OTHER_CLIENT,
        await closedOrder(cop(amount), { clientId: OTHER_CLIENT, siteId: 'sit_b' }),
      );
    const { id } = await quotedRound(m(1.5), m(1.1));
    const list = await listGuidedQuotes(deps, call(operator), id);
    expect(list.guidance?.history).toEqual([]);
    expect(list.items.every((q) => q.guidance?.history === 'no-history')).toBe(true);
  });
});

describe('the staff’s price guidance and the suggested NTE', () => {
  it('staff get the statistics and the median as the suggestion; a client 403, another client 404', async () => {
    await withHistory();
    const id = (await w.create('P3')).id;
    const g = await getPriceGuidance(deps, call(operator), id);
    expect(g).toEqual({
      orderId: id,
      category: 'hvac',
      city: 'Bogotá',
      minSample: 4,
      history: [{ currency: 'COP', count: 4, p25: m(1.075), median: m(1.15), p75: m(1.225) }],
      suggestedNte: cop(m(1.15)),
    });
    await expect(getPriceGuidance(deps, call(client), id)).rejects.toBeInstanceOf(ForbiddenError);
    const stranger: Principal = { userId: 'u-b', role: 'client', clientId: OTHER_CLIENT };
    await expect(getPriceGuidance(deps, call(stranger), id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getPriceGuidance(deps, call(provider), id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('no history: no suggestion, nothing refused', async () => {
    const id = (await w.create('P3')).id;
    expect((await getPriceGuidance(deps, call(operator), id)).suggestedNte).toBeNull();
    await performOrderAction(deps, call(operator), id, 'triage', {});
    const assigned = await performOrderAction(deps, call(operator), id, 'assign', { providerId: PROVIDER, amount: cop(m(3)) });
    expect(assigned.value.status).toBe('CONTRACTING');
    expect(w.orders.historyEntries.find((h) => h.orderId === id && h.action === 'assign')?.details).toMatchObject({
      nteGuidance: { choice: 'no-suggestion' },
    });
  });

  it('request-quotes records the suggestion; assign records whether the amount accepted or overrode it', async () => {
    await withHistory();
    const entry = (id: string, action: string) => w.orders.historyEntries.find((h) => h.orderId === id && h.action === action);
    const quoted = (await w.create('P3')).id;
    await performOrderAction(deps, call(operator), quoted, 'triage', {});
    await performOrderAction(deps, call(operator), quoted, 'request-quotes', { quoteDeadline: '2026-12-02T17:00:00.000Z' });
    expect(entry(quoted, 'request-quotes')?.details).toMatchObject({ suggestedNte: cop(m(1.15)) });

    const accepted = (await w.create('P3')).id;
    await performOrderAction(deps, call(operator), accepted, 'triage', {});
    await performOrderAction(deps, call(operator), accepted, 'assign', { providerId: PROVIDER, amount: cop(m(1.15)) });
    expect(entry(accepted, 'assign')?.details).toEqual({
      providerId: PROVIDER,
      amount: cop(m(1.15)),
      nteGuidance: { suggested: cop(m(1.15)), choice: 'accepted', vsSuggestionPct: 0 },
    });

    const overridden = (await w.create('P3')).id;
    await performOrderAction(deps, call(operator), overridden, 'triage', {});
    const o = await performOrderAction(deps, call(operator), overridden, 'assign', {
      providerId: PROVIDER,
      amount: cop(m(2.3)),
    });
    expect(o.value.approvedAmount).toEqual(cop(m(2.3)));
    expect(entry(overridden, 'assign')?.details).toMatchObject({
      nteGuidance: { suggested: cop(m(1.15)), choice: 'overridden', vsSuggestionPct: 100 },
    });
  });

  it('a read model that cannot be read blocks nothing: the action goes on without a suggestion', async () => {
    const broken: PriceStatsStore = {
      get: () => Promise.reject(new Error('down')),
      list: () => Promise.reject(new Error('down')),
      put: () => Promise.reject(new Error('down')),
    };
    const warnings: string[] = [];
    const logger: AppLogger = {
      info: () => undefined,
      warn: (msg) => void warnings.push(msg),
      error: () => undefined,
      child: () => logger,
    };
    const down = { ...w.deps, priceStats: broken, logger };
    const id = (await w.create('P3')).id;
    await performOrderAction(down, call(operator), id, 'triage', {});
    const assigned = await performOrderAction(down, call(operator), id, 'assign', { providerId: PROVIDER, amount: cop(M) });
    expect(assigned.value.status).toBe('CONTRACTING');
    const { id: quotedId } = await (async () => {
      const q = (await w.create('P3')).id;
      await performOrderAction(down, call(operator), q, 'triage', {});
      await performOrderAction(down, call(operator), q, 'request-quotes', { quoteDeadline: '2026-12-02T17:00:00.000Z' });
      await submitQuote(down, call(provider), q, { amount: cop(M), leadTimeDays: 1, validUntil: '2026-12-31' });
      return { id: q };
    })();
    const list = await listGuidedQuotes(down, call(operator), quotedId);
    expect(list.items.map((q) => q.guidance?.history)).toEqual(['no-history']);
    // Not silent: every read that fell back to "no history" said so in the log.
    expect(warnings.length).toBeGreaterThanOrEqual(3);
    expect(new Set(warnings)).toEqual(new Set(['price guidance unavailable; answering without history']));
  });
});
