import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JelouSandbox } from '../../local/sandboxes/jelou';
import { DEMO, DEMO_FIELD_POLICY } from '../../local/seed';
import { LOCAL_JELOU_WEBHOOK_SECRET } from '../../local/stack';
import { readWhatsAppOutbox } from '../../shared/adapters/whatsapp/sandbox-whatsapp';
import type { FieldPolicy } from '../../shared/domain/orders/field-policy';
import {
  eventually,
  orderActions,
  readOrder,
  refusedActions,
  startTestStack,
  storedAttachment,
  typedClients,
} from '../support/stack';

/**
 * Issue 17 over HTTP on the local host: the client's field policy and the sites' coordinates (400
 * on bad configuration, other tenants 404), geo-verified check-in and check-out from the API and
 * from WhatsApp (a Jelou location message through the signed webhook), and the invoice rules — an
 * invoice auto-approved, one held for review and released by an operator, one refused with every
 * failed rule, one rejected and invoiced again with the same number.
 *
 * The WhatsApp tests run first: a shared location is for the provider's current order, so they need
 * the provider without other open visits.
 */
const PROVIDER_PHONE = DEMO.phones.provider;
const SITE = DEMO.siteLocations[0].location;
/** About `m` metres north of a point. */
const north = (m: number) => ({ lat: SITE.lat + m / 111_195, lon: SITE.lon });

let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let refused: ReturnType<typeof refusedActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let jelou: JelouSandbox;
/** A client whose geofence is hard, with one site at the demo site's coordinates (created in beforeAll). */
let hard: { clientId: string; siteId: string };

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
  act = orderActions(as);
  refused = refusedActions(as);
  t = stack.tokens;
  jelou = await JelouSandbox.start({ botId: 'bot-algesta', clientId: 'algesta', clientSecret: 'secret' });
  jelou.setWebhook(`${stack.url}/api/webhooks/jelou`, LOCAL_JELOU_WEBHOOK_SECRET);
  const client = await as(t.operator).POST('/api/v1/clients', { body: { name: 'Cadena Estricta S.A.S.' } });
  const clientId = client.data!.id;
  const site = await as(t.operator).POST('/api/v1/clients/{clientId}/sites', {
    params: { path: { clientId } },
    body: { name: 'Sede Única', address: 'Cra 13 # 60-12', city: 'Bogotá', location: SITE, radiusMeters: 100 },
  });
  expect(site.response.status).toBe(201);
  const policy = await as(t.operator).PUT('/api/v1/clients/{clientId}/field-policy', {
    params: { path: { clientId } },
    body: { ...policyBody(DEMO_FIELD_POLICY), geofence: 'hard' },
  });
  expect(policy.response.status).toBe(200);
  hard = { clientId, siteId: site.data!.id };
});
afterAll(async () => {
  await jelou?.close();
  await stack?.dispose();
});

/** The field errors of a problem (a union of problem types: only some carry them). */
const pointers = (problem: unknown) =>
  ((problem as { errors?: { pointer: string; detail: string }[] }).errors ?? []).map((e) => e.pointer);
const fieldErrors = (problem: unknown) => (problem as { errors?: { pointer: string; detail: string }[] }).errors ?? [];
/** The policy as the typed client sends it (its arrays are not read-only). */
const policyBody = (p: FieldPolicy) => ({ ...p, hardRules: [...p.hardRules], requiredEvidence: [...p.requiredEvidence] });

/**
 * What a lifecycle move changes. Background steps (the contract document, the Asana task) amend an
 * order without a new version, so "nothing written" compares these and the history.
 */
const lifecycleOf = async (orderId: string) => {
  const o = await readOrder(as, t.operator, orderId);
  return { status: o.status, version: o.version, invoice: o.invoice, onSite: o.onSite };
};

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** An order assigned to the first demo provider, contract signed, visit scheduled: ready to check in. */
async function scheduledOrder(
  title: string,
  where: { clientId: string; siteId: string } = { clientId: DEMO.clientId, siteId: DEMO.siteIds[0] },
) {
  const created = await as(t.operator).POST('/api/v1/orders', {
    body: { clientId: where.clientId, siteId: where.siteId, category: 'hvac', priority: 'P3', title, description: 'No enfría' },
  });
  const orderId = created.data!.id;
  await act(orderId, 'triage', t.operator);
  await act(orderId, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: { amount: 800_000_00, currency: 'COP' } });
  // The contract through the DocuSign sandbox, as in production: the envelope, then its signature.
  const envelopeId = await eventually(async () => (await readOrder(as, t.operator, orderId)).contract?.envelopeId);
  await stack.services.sandboxes!.docusign.complete(envelopeId);
  await act(orderId, 'schedule', t.provider, { visitAt: inHours(1) });
  return orderId;
}

const history = async (orderId: string) =>
  (await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId }, query: { limit: 100 } } })).data!
    .items;

/** The provider's order list is a view kept from events: wait until it shows the order as `check` says. */
async function providerSees(orderId: string, check: (o: Awaited<ReturnType<typeof readOrder>>) => boolean) {
  await eventually(async () => {
    const mine = (await as(t.provider).GET('/api/v1/orders', { params: { query: { limit: 100 } } })).data!.items;
    const o = mine.find((x) => x.id === orderId);
    return o && check(o) ? true : undefined;
  });
}

const outbox = () => readWhatsAppOutbox(join(stack.dataDir, 'sandbox', 'whatsapp'));
const textsTo = async (phone: string) => (await outbox()).filter((m) => m.to === phone).map((m) => m.text ?? '');

/** Posts what Jelou would (signed) as the provider, and waits for the conversation's reply. */
async function fromProvider(message: { text: string } | { raw: { type: string; content: unknown } }): Promise<string> {
  const before = (await textsTo(PROVIDER_PHONE)).length;
  const res = await jelou.sendInbound({ from: PROVIDER_PHONE, ...message });
  expect(res.status).toBe(200);
  return eventually(async () => (await textsTo(PROVIDER_PHONE)).slice(before).join('\n') || undefined);
}

/** Shares a location as Jelou posts it: `coordinates: { lat, long }`. */
const shareLocation = (position: { lat: number; lon: number }) =>
  fromProvider({ raw: { type: 'location', content: { coordinates: { lat: position.lat, long: position.lon } } } });

describe('WhatsApp: a shared location checks the provider in and out', () => {
  it('inside the radius: checked in with the distance on the history; shared again: checked out', async () => {
    const orderId = await scheduledOrder('Ubicación dentro');
    await providerSees(orderId, (o) => o.status === 'SCHEDULED');
    const reply = await shareLocation(north(40));
    expect(reply).toContain(orderId);
    expect(reply).toMatch(/Llegada registrada .* a 40 m de la sede/);
    expect((await readOrder(as, t.operator, orderId)).status).toBe('IN_PROGRESS');
    const checkIn = (await history(orderId)).find((h) => h.action === 'check-in')!;
    expect(checkIn.details).toMatchObject({
      geofence: { result: 'within', distanceMeters: 40, radiusMeters: 150, flagged: false },
      position: north(40),
    });
    await providerSees(orderId, (o) => o.status === 'IN_PROGRESS' && o.onSite !== undefined);
    expect(await shareLocation(north(10))).toMatch(/Salida registrada/);
    const checkOut = (await history(orderId)).find((h) => h.action === 'check-out')!;
    expect(checkOut.details).toMatchObject({ geofence: { result: 'within', distanceMeters: 10 } });
    await providerSees(orderId, (o) => o.onSite?.checkedOutAt !== undefined);
  });

  it('outside under a hard policy: refused with a reply, the order unchanged; inside then checks in', async () => {
    const orderId = await scheduledOrder('Ubicación estricta', hard);
    await providerSees(orderId, (o) => o.status === 'SCHEDULED');
    const before = await lifecycleOf(orderId);
    const reply = await shareLocation(north(900));
    expect(reply).toMatch(/está a 900 m de la sede/);
    expect(reply).toContain('100 m');
    expect(await lifecycleOf(orderId)).toEqual(before);
    expect((await history(orderId)).map((h) => h.action)).not.toContain('check-in');
    // The typed command carries no position: the provider is asked to share its location.
    expect(await fromProvider({ text: `llegada ${orderId}` })).toMatch(/comparta su ubicación/);
    expect((await lifecycleOf(orderId)).status).toBe('SCHEDULED');
    expect(await shareLocation(north(30))).toMatch(/Llegada registrada/);
    expect((await readOrder(as, t.operator, orderId)).status).toBe('IN_PROGRESS');
    await providerSees(orderId, (o) => o.onSite !== undefined);
    expect(await shareLocation(north(30))).toMatch(/Salida registrada/);
    await providerSees(orderId, (o) => o.onSite?.checkedOutAt !== undefined);
  });

  it('outside under a soft policy: accepted and flagged, and the operators are told', async () => {
    const orderId = await scheduledOrder('Ubicación lejana');
    await providerSees(orderId, (o) => o.status === 'SCHEDULED');
    const reply = await shareLocation(north(700));
    expect(reply).toMatch(/a 700 m de la sede \(fuera del radio de 150 m/);
    const checkIn = (await history(orderId)).find((h) => h.action === 'check-in')!;
    expect(checkIn.details).toMatchObject({ geofence: { result: 'outside', distanceMeters: 700, flagged: true } });
    await eventually(async () => {
      const mine = (await as(t.operator).GET('/api/v1/notifications', { params: { query: { limit: 100 } } })).data!.items;
      return mine.some((n) => n.orderId === orderId && n.template === 'geofence-flagged') ? true : undefined;
    });
    await providerSees(orderId, (o) => o.onSite !== undefined);
    expect(await shareLocation(north(5))).toMatch(/Salida registrada/);
  });
});

describe('check-in and check-out from the API', () => {
  it('hard: outside or without a position is a 422 on /body/position and nothing is written; inside is accepted', async () => {
    const orderId = await scheduledOrder('API estricta', hard);
    const before = await lifecycleOf(orderId);
    const outside = await refused(orderId, 'check-in', t.provider, 422, { position: { ...north(500), accuracyMeters: 20 } });
    expect(fieldErrors(outside)).toEqual([{ pointer: '/body/position', detail: expect.stringMatching(/500 m from the site/) }]);
    const missing = await refused(orderId, 'check-in', t.provider, 422, {});
    expect(pointers(missing)).toEqual(['/body/position']);
    expect(await lifecycleOf(orderId)).toEqual(before);
    // 140 m away with a 50 m fix may be inside a 100 m fence (the accuracy is credited up to the radius).
    const inside = await act(orderId, 'check-in', t.provider, { position: { ...north(140), accuracyMeters: 50 } });
    expect(inside).toMatchObject({ status: 'IN_PROGRESS', onSite: { checkedInAt: expect.any(String) } });
    await refused(orderId, 'check-out', t.provider, 422, { position: north(400) });
    const out = await act(orderId, 'check-out', t.provider, { position: north(20) });
    expect(out.status).toBe('IN_PROGRESS');
    expect(out.onSite?.checkedOutAt).toBeDefined();
    await refused(orderId, 'check-out', t.provider, 409, { position: north(20) });
    const entries = (await history(orderId)).filter((h) => h.action === 'check-in' || h.action === 'check-out');
    expect(
      entries.map((h) => [h.action, (h.details as { geofence: { distanceMeters: number } }).geofence.distanceMeters]),
    ).toEqual([
      ['check-in', 140],
      ['check-out', 20],
    ]);
  });

  it('soft: outside is accepted and flagged, no position is recorded as unverified; only the assigned provider checks out', async () => {
    const flaggedOrder = await scheduledOrder('API flexible');
    await act(flaggedOrder, 'check-in', t.provider, { position: north(1_000) });
    expect((await history(flaggedOrder)).find((h) => h.action === 'check-in')!.details).toMatchObject({
      geofence: { result: 'outside', distanceMeters: 1_000, radiusMeters: 150, flagged: true },
    });
    await refused(flaggedOrder, 'check-out', t.operator, 403, {});
    const unverified = await scheduledOrder('API sin posición');
    await act(unverified, 'check-in', t.provider);
    expect((await history(unverified)).find((h) => h.action === 'check-in')!.details).toEqual({
      geofence: { result: 'unverified', reason: 'no-position' },
    });
  });
});

/** Scheduled, checked in and out on site, completed with a photo, verified by the client. */
async function verifiedOrder(title: string): Promise<string> {
  const orderId = await scheduledOrder(title);
  await act(orderId, 'check-in', t.provider, { position: north(20) });
  await act(orderId, 'check-out', t.provider, { position: north(20) });
  const photo = await storedAttachment(as, t.provider, orderId);
  await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [photo] });
  await act(orderId, 'verify', t.client);
  return orderId;
}

const cop = (amount: number) => ({ amount, currency: 'COP' });
/** Within the demo rate card: 15 minutes of labour at the card's hourly rate, a capacitor at its price. */
const fairLines = [
  { kind: 'labour' as const, hours: 0.25, amount: 23_750_00, description: 'Cambio de capacitor' },
  { kind: 'material' as const, code: 'CAP-35UF', description: 'Capacitor 35 µF', quantity: 1, unitPrice: 85_000_00 },
  { kind: 'other' as const, description: 'Transporte', amount: 50_000_00 },
];
const fairTotal = 23_750_00 + 85_000_00 + 50_000_00;
/** Three hours of labour after minutes on site: the labour rule fails (soft for the demo client). */
const longLabour = [{ kind: 'labour' as const, hours: 3, amount: 285_000_00 }];

describe('invoice rules', () => {
  it('all rules pass: auto-approved for payment, every verdict on the invoice and its history entry, then closed', async () => {
    const orderId = await verifiedOrder('Factura limpia');
    const invoiced = await act(orderId, 'invoice', t.provider, {
      invoiceNumber: `FA-${Date.now()}`,
      amount: cop(fairTotal),
      lines: fairLines,
    });
    expect(invoiced.status).toBe('INVOICED');
    expect(invoiced.invoice?.review?.outcome).toBe('auto-approved');
    expect(invoiced.invoice?.review?.verdicts.map((v) => [v.rule, v.verdict])).toEqual([
      ['amount-within-nte', 'pass'],
      ['invoice-number-unique', 'pass'],
      ['required-evidence', 'not-applicable'],
      ['labour-within-time-on-site', 'pass'],
      ['materials-within-rate-card', 'pass'],
      ['check-in-within-radius', 'pass'],
    ]);
    const entry = (await history(orderId)).find((h) => h.action === 'invoice')!;
    expect(entry.details).toMatchObject({ review: { outcome: 'auto-approved' } });
    expect((await act(orderId, 'close', t.operator)).status).toBe('CLOSED');
  });

  it('a soft rule fails: held with the reasons, the operators told; close waits; an operator releases it and closes', async () => {
    const orderId = await verifiedOrder('Factura retenida');
    const held = await act(orderId, 'invoice', t.provider, {
      invoiceNumber: `FH-${Date.now()}`,
      amount: cop(285_000_00),
      lines: longLabour,
    });
    expect(held.status).toBe('INVOICED');
    expect(held.invoice?.review?.outcome).toBe('held');
    expect(held.invoice?.review?.verdicts.find((v) => v.rule === 'labour-within-time-on-site')).toMatchObject({
      verdict: 'fail',
      severity: 'soft',
      details: { billedMinutes: 180 },
    });
    const closing = await refused(orderId, 'close', t.operator, 409);
    expect(closing.detail).toMatch(/held for review/);
    await refused(orderId, 'approve-invoice', t.client, 403, { reason: 'Yo lo apruebo' });
    await refused(orderId, 'approve-invoice', t.operator, 400, { reason: '' });
    await eventually(async () => {
      const mine = (await as(t.operator).GET('/api/v1/notifications', { params: { query: { limit: 100 } } })).data!.items;
      return mine.some((n) => n.orderId === orderId && n.template === 'invoice-held') ? true : undefined;
    });
    const approved = await act(orderId, 'approve-invoice', t.operator, { reason: 'Horas extra acordadas con el cliente' });
    expect(approved.invoice?.review).toMatchObject({ outcome: 'approved', reason: 'Horas extra acordadas con el cliente' });
    await refused(orderId, 'approve-invoice', t.operator, 409, { reason: 'Otra vez' });
    expect((await act(orderId, 'close', t.operator)).status).toBe('CLOSED');
  });

  it('hard rules fail: 422 invoice-rules-failed listing every failed rule, and nothing is written', async () => {
    const first = await verifiedOrder('Factura con número');
    const number = `FR-${Date.now()}`;
    await act(first, 'invoice', t.provider, { invoiceNumber: number, amount: cop(fairTotal), lines: fairLines });
    const orderId = await verifiedOrder('Factura rechazada');
    const before = await lifecycleOf(orderId);
    const entries = (await history(orderId)).length;
    const problem = await refused(orderId, 'invoice', t.provider, 422, {
      invoiceNumber: ` ${number.toLowerCase()} `,
      amount: cop(900_000_00),
      lines: [...longLabour, { kind: 'other', description: 'Otros', amount: 615_000_00 }],
    });
    expect(problem.type).toBe('https://api.algesta.co/problems/invoice-rules-failed');
    const failed = (problem as unknown as { failedRules: { rule: string; severity: string }[] }).failedRules;
    expect(failed.map((f) => [f.rule, f.severity])).toEqual([
      ['amount-within-nte', 'hard'],
      ['invoice-number-unique', 'hard'],
      ['labour-within-time-on-site', 'soft'],
    ]);
    expect(pointers(problem)).toEqual(['/body/amount', '/body/invoiceNumber', '/body/lines']);
    expect(await lifecycleOf(orderId)).toEqual(before);
    expect(await history(orderId)).toHaveLength(entries);
    // The refusal released nothing it did not hold: the first order keeps its number, and a fresh number passes.
    await refused(orderId, 'invoice', t.provider, 422, { invoiceNumber: number, amount: cop(fairTotal), lines: fairLines });
    const ok = await act(orderId, 'invoice', t.provider, {
      invoiceNumber: `${number}-B`,
      amount: cop(fairTotal),
      lines: fairLines,
    });
    expect(ok.invoice?.review?.outcome).toBe('auto-approved');
  });

  it('lines that do not add up to the amount are a 422 on /body/amount; a lines-less invoice keeps working', async () => {
    const orderId = await verifiedOrder('Factura sin líneas');
    const problem = await refused(orderId, 'invoice', t.provider, 422, {
      invoiceNumber: `FL-${Date.now()}`,
      amount: cop(fairTotal + 1),
      lines: fairLines,
    });
    expect(pointers(problem)).toEqual(['/body/amount']);
    const plain = await act(orderId, 'invoice', t.provider, { invoiceNumber: `FL-${Date.now()}`, amount: cop(500_000_00) });
    expect(plain.invoice?.review?.outcome).toBe('auto-approved');
  });

  it('an operator rejects an invoice: back to VERIFIED, the provider told, and the same number may be invoiced again', async () => {
    const orderId = await verifiedOrder('Factura devuelta');
    const number = `FD-${Date.now()}`;
    await act(orderId, 'invoice', t.provider, { invoiceNumber: number, amount: cop(285_000_00), lines: longLabour });
    const rejected = await act(orderId, 'reject-invoice', t.operator, { reason: 'Las horas no corresponden a la visita' });
    expect(rejected.status).toBe('VERIFIED');
    expect(rejected.invoice).toBeUndefined();
    expect(rejected.rejectedInvoices).toMatchObject([{ invoiceNumber: number, reason: 'Las horas no corresponden a la visita' }]);
    const again = await act(orderId, 'invoice', t.provider, { invoiceNumber: number, amount: cop(fairTotal), lines: fairLines });
    expect(again.invoice).toMatchObject({ invoiceNumber: number, review: { outcome: 'auto-approved' } });
    await eventually(async () => {
      const mine = (await as(t.provider).GET('/api/v1/notifications', { params: { query: { limit: 100 } } })).data!.items;
      return mine.some((n) => n.orderId === orderId && n.template === 'invoice-rejected') ? true : undefined;
    });
  });
});

describe('configuration: site coordinates and the field policy', () => {
  it('bad configuration is a 400 with every field error, and nothing is written', async () => {
    const clientId = DEMO.clientId;
    const policy = await as(t.operator).PUT('/api/v1/clients/{clientId}/field-policy', {
      params: { path: { clientId } },
      body: { ...policyBody(DEMO_FIELD_POLICY), labourTolerance: { minutes: -5, percent: 150 } },
    });
    expect(policy.response.status).toBe(400);
    expect(pointers(policy.error)).toEqual(['/body/labourTolerance/minutes', '/body/labourTolerance/percent']);
    expect(
      (await as(t.operator).GET('/api/v1/clients/{clientId}', { params: { path: { clientId } } })).data!.fieldPolicy,
    ).toEqual(DEMO_FIELD_POLICY);
    const zero = await as(t.operator).PUT('/api/v1/clients/{clientId}/sites/{siteId}/location', {
      params: { path: { clientId, siteId: DEMO.siteIds[0] } },
      body: { location: SITE, radiusMeters: 0 },
    });
    expect(zero.response.status).toBe(400);
    expect(pointers(zero.error)).toEqual(['/body/radiusMeters']);
    const newSite = await as(t.operator).POST('/api/v1/clients/{clientId}/sites', {
      params: { path: { clientId } },
      body: { name: 'Sede Mala', address: 'Calle 1 # 2-3', city: 'Bogotá', location: { lat: 95, lon: 0 }, radiusMeters: 100 },
    });
    expect(newSite.response.status).toBe(400);
    expect(pointers(newSite.error)).toEqual(['/body/location/lat']);
    const sites = (
      await as(t.operator).GET('/api/v1/clients/{clientId}/sites', { params: { path: { clientId }, query: { limit: 100 } } })
    ).data!.items;
    expect(sites.find((s) => s.id === DEMO.siteIds[0])).toMatchObject(DEMO.siteLocations[0]);
    expect(sites.map((s) => s.name)).not.toContain('Sede Mala');
  });

  it('staff set them; the client’s own users may not (403); another tenant does not see them (404)', async () => {
    const moved = await as(t.admin).PUT('/api/v1/clients/{clientId}/sites/{siteId}/location', {
      params: { path: { clientId: hard.clientId, siteId: hard.siteId } },
      body: { location: SITE, radiusMeters: 120 },
    });
    expect(moved.data).toMatchObject({ id: hard.siteId, location: SITE, radiusMeters: 120 });
    const byClient = await as(t.client).PUT('/api/v1/clients/{clientId}/field-policy', {
      params: { path: { clientId: DEMO.clientId } },
      body: policyBody(DEMO_FIELD_POLICY),
    });
    expect(byClient.response.status).toBe(403);
    const otherTenant = await as(t.client).PUT('/api/v1/clients/{clientId}/sites/{siteId}/location', {
      params: { path: { clientId: hard.clientId, siteId: hard.siteId } },
      body: { location: north(1), radiusMeters: 1 },
    });
    expect(otherTenant.response.status).toBe(404);
    const otherPolicy = await as(t.client).PUT('/api/v1/clients/{clientId}/field-policy', {
      params: { path: { clientId: hard.clientId } },
      body: policyBody(DEMO_FIELD_POLICY),
    });
    expect(otherPolicy.response.status).toBe(404);
    const unknownSite = await as(t.operator).PUT('/api/v1/clients/{clientId}/sites/{siteId}/location', {
      params: { path: { clientId: DEMO.clientId, siteId: 'sit_unknown' } },
      body: { location: SITE, radiusMeters: 10 },
    });
    expect(unknownSite.response.status).toBe(404);
    const hardClient = (await as(t.operator).GET('/api/v1/clients/{clientId}', { params: { path: { clientId: hard.clientId } } }))
      .data!;
    expect(hardClient.fieldPolicy?.geofence).toBe('hard');
  });
});
