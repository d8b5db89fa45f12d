import { describe, expect, it } from 'vitest';
import { setFieldPolicy, setSiteLocation } from '../../shared/application/clients/clients';
import { ForbiddenError, InvalidInputError, InvoiceRulesError, NotFoundError } from '../../shared/application/errors';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { DEFAULT_FIELD_POLICY, type FieldPolicy } from '../../shared/domain/orders/field-policy';
import type { MemoryProviders } from '../support/memory';
import { CLIENT, MIN, client, operator, provider, PROVIDER, world, type World, storedPhoto } from '../support/order-world';

/**
 * Issue 17's use cases in memory, with a clock the test moves: the time on site the invoice rules
 * read comes from real check-in / check-out entries minutes apart; the invoice number's claim is
 * released when the rules refuse the invoice and when an operator rejects it; configuration is
 * refused with field errors and nothing written, outside the caller's scope or role.
 */
const START = '2026-06-01T14:00:00.000Z';
const SITE = { lat: 4.647, lon: -74.0638 };
const cop = (amount: number) => ({ amount, currency: 'COP' });
const call = (principal: typeof operator) => ({ principal, correlationId: 'c' });

async function withPolicy(w: World, policy: Partial<FieldPolicy>) {
  await setFieldPolicy(w.deps, call(operator), CLIENT, { ...DEFAULT_FIELD_POLICY, ...policy });
  await setSiteLocation(w.deps, call(operator), CLIENT, 'sit_1', { location: SITE, radiusMeters: 100 });
}

/** An order verified after `minutes` on site (check-in, then check-out `minutes` later). */
async function verifiedAfter(w: World, minutes: number): Promise<string> {
  const id = (await w.create('P3')).id;
  await w.act(id, operator, 'triage');
  await w.act(id, operator, 'assign', { providerId: PROVIDER, amount: cop(500_000_00) });
  await contractSigned(w.deps, { correlationId: 'c' }, CLIENT, id);
  await w.act(id, provider, 'schedule', { visitAt: new Date(Date.parse(w.now()) + 30 * MIN).toISOString() });
  w.advance(30 * MIN);
  await w.act(id, provider, 'check-in', { position: SITE });
  w.advance(minutes * MIN);
  await w.act(id, provider, 'check-out', { position: SITE });
  await storedPhoto(w, id, `att_${id}`, 'u');
  await w.act(id, provider, 'complete', { report: 'Hecho', attachmentIds: [`att_${id}`] });
  await w.act(id, client, 'verify');
  return id;
}

const labour = (hours: number) => ({ kind: 'labour', hours, amount: hours * 100_000_00 });
const claims = (w: World) => (w.deps.providers as MemoryProviders).invoiceClaims;

describe('invoice rules on real time on site', () => {
  it('90 minutes on site, 15 minutes of tolerance: 1.75 h of labour passes, 2 h is held', async () => {
    const w = await world(START);
    await withPolicy(w, { labourTolerance: { minutes: 15 } });
    const fits = await verifiedAfter(w, 90);
    const ok = await w.act(fits, provider, 'invoice', { invoiceNumber: 'F-1', amount: cop(175_000_00), lines: [labour(1.75)] });
    expect(ok.value.invoice?.review?.outcome).toBe('auto-approved');
    const over = await verifiedAfter(w, 90);
    const held = await w.act(over, provider, 'invoice', { invoiceNumber: 'F-2', amount: cop(200_000_00), lines: [labour(2)] });
    expect(held.value.invoice?.review?.verdicts.find((v) => v.rule === 'labour-within-time-on-site')).toMatchObject({
      verdict: 'fail',
      details: { billedMinutes: 120, minutesOnSite: 90, allowedMinutes: 105 },
    });
    const event = w.orders.events.find((e) => e.subject === over && e.type === 'order.invoice-held');
    expect(event?.data).toMatchObject({ rules: ['labour-within-time-on-site'] });
  });

  it('the client makes the labour rule hard: refused with the rule, the claim on the number released, nothing written', async () => {
    const w = await world(START);
    await withPolicy(w, { hardRules: ['labour-within-time-on-site'] });
    const id = await verifiedAfter(w, 30);
    const before = await w.get(id);
    const refused = await w
      .act(id, provider, 'invoice', { invoiceNumber: 'F-9', amount: cop(200_000_00), lines: [labour(2)] })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(InvoiceRulesError);
    expect((refused as InvoiceRulesError).details?.failedRules).toMatchObject([
      { rule: 'labour-within-time-on-site', severity: 'hard' },
    ]);
    expect(await w.get(id)).toEqual(before);
    expect([...claims(w).values()].map((c) => c.invoiceNumber)).not.toContain('F-9');
  });

  it('the rules answer before the invoice file is looked at; a file not stored on the order is then a 422 on attachmentId', async () => {
    const w = await world(START);
    await withPolicy(w, {});
    const id = await verifiedAfter(w, 60);
    const over = await w
      .act(id, provider, 'invoice', { invoiceNumber: 'F-7', amount: cop(900_000_00), attachmentId: 'att_missing' })
      .catch((e) => e);
    expect(over).toBeInstanceOf(InvoiceRulesError);
    const missing = await w
      .act(id, provider, 'invoice', { invoiceNumber: 'F-7', amount: cop(100_000_00), attachmentId: 'att_missing' })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect((missing as InvalidInputError).fieldErrors.map((f) => f.field)).toEqual(['attachmentId']);
    expect([...claims(w).values()].map((c) => c.invoiceNumber)).not.toContain('F-7');
    expect((await w.get(id)).status).toBe('VERIFIED');
  });

  it('an operator rejects an invoice: the number is released and the same order invoices it again', async () => {
    const w = await world(START);
    await withPolicy(w, {});
    const id = await verifiedAfter(w, 60);
    await w.act(id, provider, 'invoice', { invoiceNumber: 'F-5', amount: cop(100_000_00) });
    expect([...claims(w).values()].map((c) => c.invoiceNumber)).toContain('F-5');
    const back = await w.act(id, operator, 'reject-invoice', { reason: 'Valor errado' });
    expect(back.value).toMatchObject({
      status: 'VERIFIED',
      rejectedInvoices: [{ invoiceNumber: 'F-5', reason: 'Valor errado' }],
    });
    expect([...claims(w).values()].map((c) => c.invoiceNumber)).not.toContain('F-5');
    const again = await w.act(id, provider, 'invoice', { invoiceNumber: 'f-5', amount: cop(90_000_00) });
    expect(again.value.invoice).toMatchObject({ invoiceNumber: 'F-5', amount: cop(90_000_00) });
  });
});

describe('configuration use cases', () => {
  it('bad values are refused with every field error and nothing written', async () => {
    const w = await world(START);
    const refused = await setFieldPolicy(w.deps, call(operator), CLIENT, {
      ...DEFAULT_FIELD_POLICY,
      labourTolerance: { minutes: -1 },
      requiredEvidence: ['contract'],
    }).catch((e) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).fieldErrors.map((f) => f.field)).toEqual([
      'labourTolerance/minutes',
      'requiredEvidence/0',
    ]);
    expect((await w.deps.clients.get(CLIENT))?.value.fieldPolicy).toBeUndefined();
    const zero = await setSiteLocation(w.deps, call(operator), CLIENT, 'sit_1', { location: SITE, radiusMeters: 0 }).catch(
      (e) => e,
    );
    expect(zero).toBeInstanceOf(InvalidInputError);
    expect((await w.deps.clients.getSite(CLIENT, 'sit_1'))?.value.radiusMeters).toBeUndefined();
  });

  it('a client user of the tenant is forbidden; another tenant and unknown sites are not found', async () => {
    const w = await world(START);
    const policy = DEFAULT_FIELD_POLICY;
    await expect(setFieldPolicy(w.deps, call(client), CLIENT, policy)).rejects.toBeInstanceOf(ForbiddenError);
    const stranger = { userId: 'u-x', role: 'client' as const, clientId: 'cli_other' };
    await expect(setFieldPolicy(w.deps, call(stranger), CLIENT, policy)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      setSiteLocation(w.deps, call(stranger), CLIENT, 'sit_1', { location: SITE, radiusMeters: 50 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      setSiteLocation(w.deps, call(operator), CLIENT, 'sit_none', { location: SITE, radiusMeters: 50 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
