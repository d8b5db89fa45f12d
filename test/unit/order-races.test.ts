import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../shared/application/errors';
import { closeQuoteRound, contractSigned, performOrderAction, submitQuote } from '../../shared/application/orders/lifecycle';
import { amend } from '../../shared/application/orders/orders-workflow';
import { CLIENT, MIN, PROVIDER, client, operator, provider, world, type World } from '../support/order-world';

/**
 * A background step (the workflow recording an asset, an envelope or a task) amends an order
 * between a caller's read and write. One rule for every change to an order
 * (`decidedAgainOnLostRace` in lifecycle.ts): without If-Match the change is decided again on the
 * fresh order and the background step's work is kept; with If-Match the 412 stands; a writer that
 * keeps losing gets the 412 after three tries.
 */
const call = (principal: typeof client) => ({ principal, correlationId: 'race' });

/** The next `times` decisions (saves with history) find the order amended in the background just before. */
function raceNextWrites(w: World, times: number): { amendments: () => number } {
  const save = w.orders.save.bind(w.orders);
  let left = times;
  let amendments = 0;
  w.orders.save = async (order, etag, history, events, quotes) => {
    if (history.length > 0 && left > 0) {
      left--;
      amendments++;
      // The background step writes with the real save, not through this interception.
      const background = new Proxy(w.orders, { get: (target, key) => (key === 'save' ? save : Reflect.get(target, key)) });
      await amend({ orders: background }, order.clientId, order.id, async () => ({
        patch: { maintenanceRecordedAt: `background-${amendments}` },
      }));
    }
    return save(order, etag, history, events, quotes);
  };
  return { amendments: () => amendments };
}

async function quoting(w: World): Promise<string> {
  const o = await w.create('P3');
  await w.act(o.id, operator, 'triage');
  await w.act(o.id, operator, 'request-quotes', { quoteDeadline: new Date(Date.parse(w.now()) + 60 * MIN).toISOString() });
  return o.id;
}

const quote = { amount: { amount: 500_000, currency: 'COP' }, leadTimeDays: 2, validUntil: '2026-12-31' };

describe('a write lost to a background step', () => {
  it('a quote is decided again on the fresh order: stored once, one history entry, the background work kept', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const id = await quoting(w);
    const race = raceNextWrites(w, 1);
    const q = await submitQuote(w.deps, call(provider), id, quote);
    expect(race.amendments()).toBe(1);
    expect(q.providerId).toBe(PROVIDER);
    expect(await w.orders.listQuotes(CLIENT, id)).toHaveLength(1);
    const order = await w.get(id);
    expect(order.maintenanceRecordedAt).toBe('background-1');
    const history = await w.orders.history(CLIENT, id, { limit: 100 });
    expect(history.items.filter((h) => h.action === 'submit-quote')).toHaveLength(1);
  });

  it('a user action without If-Match is decided again; with If-Match the 412 stands and nothing is written', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const a = (await w.create('P3')).id;
    raceNextWrites(w, 1);
    expect((await performOrderAction(w.deps, call(operator), a, 'triage', {})).value.status).toBe('TRIAGED');

    const b = await w.create('P3');
    const stored = await w.orders.get(CLIENT, b.id);
    raceNextWrites(w, 1);
    await expect(performOrderAction(w.deps, call(operator), b.id, 'triage', {}, stored!.etag)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await w.get(b.id)).status).toBe('SUBMITTED');
  });

  it("the system's own moves (contract signed, quote round closed) are decided again too", async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const a = (await w.create('P3')).id;
    await w.act(a, operator, 'triage');
    await w.act(a, operator, 'assign', { providerId: PROVIDER, amount: { amount: 100_000, currency: 'COP' } });
    raceNextWrites(w, 1);
    expect((await contractSigned(w.deps, { correlationId: 'race' }, CLIENT, a)).value.status).toBe('SCHEDULED');

    const b = await quoting(w);
    raceNextWrites(w, 1);
    w.advance(61 * MIN);
    const closed = await closeQuoteRound(w.deps, { correlationId: 'race' }, CLIENT, b);
    expect(closed?.value.quoteRoundClosedAt).toBeDefined();
  });

  it('a writer that keeps losing gets the 412 after three tries, and nothing of its own is written', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const id = await quoting(w);
    const race = raceNextWrites(w, 10);
    await expect(submitQuote(w.deps, call(provider), id, quote)).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(race.amendments()).toBe(3);
    expect(await w.orders.listQuotes(CLIENT, id)).toHaveLength(0);
  });
});
