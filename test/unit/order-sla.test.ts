import { describe, expect, it } from 'vitest';
import type { Priority } from '../../shared/domain/orders/order';
import { listOrders } from '../../shared/application/orders/orders';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { checkOrderSla, sweepSla, SWEEP_GRACE_MS } from '../../shared/application/orders/sla-watch';
import { CLIENT, MIN, PROVIDER, client, operator, provider, world, type World, storedPhoto } from '../support/order-world';

/**
 * The SLA clocks through the application, with a controllable clock and in-memory ports: due
 * times stored on the order, pauses on hold, at-risk and breach events raised once per clock by
 * the scheduled checks and the sweep, the status operators filter on, business days and holidays.
 */

/** Drives an order to IN_PROGRESS through direct assignment. */
async function toInProgress(w: World, orderId: string) {
  await w.act(orderId, operator, 'triage');
  await w.act(orderId, operator, 'assign', { providerId: PROVIDER, amount: { amount: 100_000, currency: 'COP' } });
  await contractSigned(w.deps, { correlationId: 'c' }, CLIENT, orderId);
  await w.act(orderId, provider, 'schedule', { visitAt: new Date(Date.parse(w.now()) + 30 * MIN).toISOString() });
  await w.act(orderId, provider, 'check-in');
}

describe('SLA clocks on orders', () => {
  it('stores due times per priority from submission', async () => {
    const w = await world('2026-03-03T15:00:00.000Z'); // a Tuesday, 10:00 in Bogotá
    const due = async (p: Priority) => {
      const o = await w.create(p);
      return [o.sla?.clocks.acknowledge.dueAt, o.sla?.clocks.onSite.dueAt, o.sla?.clocks.resolve.dueAt];
    };
    expect(await due('P1')).toEqual(['2026-03-03T15:30:00.000Z', '2026-03-03T19:00:00.000Z', '2026-03-04T15:00:00.000Z']);
    expect(await due('P2')).toEqual(['2026-03-03T17:00:00.000Z', '2026-03-03T23:00:00.000Z', '2026-03-05T15:00:00.000Z']);
    // P3: 1 and 5 business days (same local time), 48 h wall clock on site.
    expect(await due('P3')).toEqual(['2026-03-04T15:00:00.000Z', '2026-03-05T15:00:00.000Z', '2026-03-10T15:00:00.000Z']);
    // P4: on site and resolve wait for the scheduled visit.
    expect(await due('P4')).toEqual(['2026-03-05T15:00:00.000Z', undefined, undefined]);
  });

  it('business-day clocks skip weekends and Colombian holidays; a client policy overrides the table', async () => {
    // Friday 9 January 2026, 16:00 in Bogotá; Monday 12 is Reyes Magos.
    const w = await world('2026-01-09T21:00:00.000Z', { P3: { acknowledge: { minutes: 45 } } });
    const o = await w.create('P3');
    expect(o.sla?.clocks.acknowledge.dueAt).toBe('2026-01-09T21:45:00.000Z'); // the client's 45 minutes
    expect(o.sla?.clocks.resolve.dueAt).toBe('2026-01-19T21:00:00.000Z'); // Tue 13 … Mon 19: five business days
    const plain = await world('2026-01-09T21:00:00.000Z');
    expect((await plain.create('P3')).sla?.clocks.acknowledge.dueAt).toBe('2026-01-13T21:00:00.000Z');
  });

  it('raises at-risk at 75 % and breached past 100 %, once per clock, however many checks arrive', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P1');
    expect(o.slaNextCheckAt).toBe('2026-03-03T15:22:30.000Z'); // 75 % of acknowledge's 30 minutes
    w.advance(22 * MIN);
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id, o.slaNextCheckAt);
    expect(w.slaEvents(o.id)).toEqual([]); // early: nothing yet
    w.advance(30_000);
    for (let i = 0; i < 3; i++) await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id, o.slaNextCheckAt);
    expect(w.slaEvents(o.id)).toEqual(['order.sla-at-risk acknowledge']);
    expect(await w.get(o.id)).toMatchObject({ slaStatus: 'at-risk' });
    w.advance(8 * MIN);
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id);
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id);
    expect(w.slaEvents(o.id)).toEqual(['order.sla-at-risk acknowledge', 'order.sla-breached acknowledge']);
    const breached = await w.get(o.id);
    expect(breached.slaStatus).toBe('breached');
    // Operators list breached orders; the version (and history) did not move for SLA checks.
    const listed = await listOrders(w.deps, { principal: operator, correlationId: 'c' }, { slaState: 'breached' }, { limit: 10 });
    expect(listed.items.map((x) => x.id)).toEqual([o.id]);
    expect(breached.version).toBe(1);
    // Triage stops acknowledge; its breach stays a breach.
    await w.act(o.id, operator, 'triage');
    expect((await w.get(o.id)).sla?.clocks.acknowledge.stoppedAt).toBe(w.now());
  });

  it('hold pauses on-site and resolve; resume moves their due times by the pause; punctuality reaches the scorecard', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P1');
    await toInProgress(w, o.id);
    const before = (await w.get(o.id)).sla!;
    expect(before.clocks.onSite.stoppedAt).toBeDefined(); // checked in
    await w.act(o.id, provider, 'hold', { reason: 'Repuesto' });
    const held = await w.get(o.id);
    expect(held.sla?.clocks.resolve.pausedSince).toBe(w.now());
    expect(held.slaNextCheckAt).toBeUndefined(); // only resolve could raise, and it is paused
    w.advance(30 * 60 * MIN); // 30 hours on hold: past resolve's 24 h, but paused
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id);
    expect(w.slaEvents(o.id)).toEqual([]);
    await w.act(o.id, operator, 'resume', { reason: 'Llegó' });
    const resumed = await w.get(o.id);
    expect(Date.parse(resumed.sla!.clocks.resolve.dueAt!) - Date.parse(before.clocks.resolve.dueAt!)).toBe(30 * 60 * MIN);
    expect(resumed.slaStatus).toBe('on-track');
    const photo = 'att_1';
    await storedPhoto(w, o.id, photo);
    await w.act(o.id, provider, 'complete', { report: 'ok', attachmentIds: [photo] });
    const completed = w.orders.events.find((e) => e.subject === o.id && e.type === 'order.work-completed');
    expect(completed?.data).toMatchObject({ onSiteOnTime: true, resolvedOnTime: true });
    expect((await w.get(o.id)).slaStatus).toBe('met');
  });

  it('a late check-in is reported as not on time', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P1');
    await w.act(o.id, operator, 'triage');
    await w.act(o.id, operator, 'assign', { providerId: PROVIDER, amount: { amount: 100_000, currency: 'COP' } });
    await contractSigned(w.deps, { correlationId: 'c' }, CLIENT, o.id);
    w.advance(5 * 60 * MIN); // on site was due in 4 h
    await w.act(o.id, provider, 'schedule', { visitAt: new Date(Date.parse(w.now()) + MIN).toISOString() });
    await w.act(o.id, provider, 'check-in');
    expect((await w.get(o.id)).sla?.clocks.onSite.stoppedAt).toBe(w.now());
    await storedPhoto(w, o.id, 'att_2');
    await w.act(o.id, provider, 'complete', { report: 'ok', attachmentIds: ['att_2'] });
    const completed = w.orders.events.find((e) => e.subject === o.id && e.type === 'order.work-completed');
    expect(completed?.data).toMatchObject({ onSiteOnTime: false, resolvedOnTime: true });
  });

  it('keeps one live check per order: stale messages schedule nothing; the sweep replaces a lost one', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P2');
    expect(w.checks(o.id)).toHaveLength(1);
    const first = o.slaNextCheckAt!;
    // Triage moves the next mark (acknowledge stops): a new check is scheduled, the old one is stale.
    await w.act(o.id, operator, 'triage');
    const afterTriage = await w.get(o.id);
    expect(afterTriage.slaNextCheckAt).not.toBe(first);
    expect(w.checks(o.id)).toHaveLength(2);
    w.at(first);
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id, first); // the stale message
    expect(w.checks(o.id)).toHaveLength(2);
    // The live message is lost: past its time plus the grace period, the sweep does its work.
    w.at(new Date(Date.parse(afterTriage.slaNextCheckAt!) + SWEEP_GRACE_MS + 1).toISOString());
    expect(await sweepSla(w.deps, { correlationId: 'sweep' })).toBe(1);
    expect(w.slaEvents(o.id)).toEqual(['order.sla-at-risk onSite']);
    const swept = await w.get(o.id);
    expect(swept.slaNextCheckAt).toBe(
      swept.sla?.clocks.onSite.dueAt && new Date(Date.parse(swept.sla.clocks.onSite.dueAt) + 1).toISOString(),
    );
    expect(w.checks(o.id)).toHaveLength(3); // the successor of the swept check
    expect(await sweepSla(w.deps, { correlationId: 'sweep' })).toBe(0);
  });

  it('cancellation stops every clock: no event is raised afterwards', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P1');
    await w.act(o.id, client, 'cancel', { reason: 'Ya no' });
    const cancelled = await w.get(o.id);
    expect(cancelled.slaNextCheckAt).toBeUndefined();
    w.advance(48 * 60 * MIN);
    await checkOrderSla(w.deps, { correlationId: 'c' }, CLIENT, o.id);
    expect(w.slaEvents(o.id)).toEqual([]);
    expect(cancelled.slaStatus).toBe('met');
  });
});
