import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { apiClient, eventually, orderActions, startTestStack, typedClients } from '../support/stack';
import { PNG, putFile } from '../support/files';

/**
 * The orders workflow on the local host, through the real bus (scheduled messages included): the
 * SLA watch raising at-risk and breach for a client whose policy makes the clock short, the quote
 * round closed at its deadline, the asset validated or flagged through the assets sandbox and the
 * maintenance record posted on close, and the providers' order listing kept from order events.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function newOrder(extra: Record<string, unknown> = {}, token = t.client): Promise<string> {
  const r = await api('POST', '/v1/orders', {
    token,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Aire', description: 'No enfría', ...extra },
  });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

const order = async (id: string) => (await api('GET', `/v1/orders/${id}`, { token: t.operator })).body;

describe('orders workflow on the local host', () => {
  it('SLA watch: a short acknowledge clock raises at-risk then breached through scheduled checks; operators list it', async () => {
    // A client whose policy gives P1 six seconds to acknowledge.
    const client = await api('POST', '/v1/clients', {
      token: t.operator,
      body: { name: 'Cliente SLA', slaPolicy: { P1: { acknowledge: { minutes: 0.1 } } } },
    });
    expect(client.status, client.text).toBe(201);
    expect(client.body.slaPolicy).toEqual({ P1: { acknowledge: { minutes: 0.1 } } });
    const site = await api('POST', `/v1/clients/${client.body.id}/sites`, {
      token: t.operator,
      body: { name: 'Sede', address: 'Cra 7 # 1', city: 'Bogotá' },
    });
    const id = await newOrder({ clientId: client.body.id, siteId: site.body.id, priority: 'P1' }, t.operator);
    const created = await order(id);
    expect(created).toMatchObject({ slaStatus: 'on-track' });
    expect(Date.parse(created.sla.clocks.acknowledge.dueAt) - Date.parse(created.createdAt)).toBe(6_000);

    const breached = await eventually(async () => {
      const o = await order(id);
      return o.slaStatus === 'breached' ? o : undefined;
    }, 30_000);
    expect(breached.sla.clocks.acknowledge).toMatchObject({ atRiskRaised: true, breachedRaised: true });
    expect(breached.version).toBe(1); // SLA checks are not transitions
    const listed = await api('GET', `/v1/orders?slaState=breached&clientId=${client.body.id}`, { token: t.operator });
    expect(listed.body.items.map((o: { id: string }) => o.id)).toEqual([id]);
    const onTrack = await api('GET', `/v1/orders?slaState=on-track&clientId=${client.body.id}`, { token: t.operator });
    expect(onTrack.body.items).toEqual([]);
    // The sweep's query on the real Cosmos protocol: on-site and resolve still have marks ahead.
    const { slaWatchDeps } = await import('../../functions/wiring');
    const deps = await slaWatchDeps();
    const ahead = await deps.orders.findSlaChecksDue(new Date(Date.now() + 30 * 86_400_000).toISOString(), 1000);
    expect(ahead).toContainEqual({ clientId: client.body.id, orderId: id, checkAt: breached.slaNextCheckAt });
    expect(await deps.orders.findSlaChecksDue('2000-01-01T00:00:00.000Z', 10)).toEqual([]);
    // A bad policy is refused with a 4xx and creates nothing.
    const bad = await api('POST', '/v1/clients', {
      token: t.operator,
      body: { name: 'Malo', slaPolicy: { P4: { acknowledge: { scheduledDate: true } } } },
    });
    expect(bad.status).toBe(422);
    const typo = await api('POST', '/v1/clients', { token: t.operator, body: { name: 'Malo', slaPolicy: { P9: {} } } });
    expect(typo.status).toBe(400);
  });

  it('the quote round closes at its deadline by a scheduled message; later quotes are refused', async () => {
    const id = await newOrder();
    await act(id, 'triage', t.operator);
    await act(id, 'request-quotes', t.operator, { quoteDeadline: inSeconds(4) });
    const quoteBody = {
      amount: { amount: 500_000_00, currency: 'COP' },
      leadTimeDays: 1,
      validUntil: inSeconds(86_400 * 30).slice(0, 10),
    };
    // A quote may name its attachment (the detailed quote): it must be stored on this order.
    const unknownFile = await api('POST', `/v1/orders/${id}/quotes`, {
      token: t.provider,
      body: { ...quoteBody, attachmentId: 'att_nope' },
    });
    expect(unknownFile.status).toBe(422);
    const file = await api('POST', `/v1/orders/${id}/attachments`, {
      token: t.provider,
      body: { kind: 'other', fileName: 'cotizacion.png', contentType: 'image/png', size: PNG.length },
    });
    expect(await putFile(file.body.upload, PNG)).toBe(201);
    expect(
      (await api('POST', `/v1/orders/${id}/attachments/${file.body.attachment.id}/confirm`, { token: t.provider })).status,
    ).toBe(200);
    const quote = await api('POST', `/v1/orders/${id}/quotes`, {
      token: t.provider,
      body: { ...quoteBody, attachmentId: file.body.attachment.id },
    });
    expect(quote.status).toBe(201);
    expect(quote.body.attachmentId).toBe(file.body.attachment.id);
    const closed = await eventually(async () => {
      const o = await order(id);
      return o.quoteRoundClosedAt ? o : undefined;
    });
    expect(closed.status).toBe('QUOTING');
    const history = await api('GET', `/v1/orders/${id}/history`, { token: t.operator });
    const closing = history.body.items.filter((h: { action: string }) => h.action === 'close-quote-round');
    expect(closing).toEqual([expect.objectContaining({ by: { userId: 'system', role: 'system' }, details: { quoteCount: 1 } })]);
    const late = await api('POST', `/v1/orders/${id}/quotes`, {
      token: t.provider,
      body: { amount: { amount: 400_000_00, currency: 'COP' }, leadTimeDays: 1, validUntil: inSeconds(86_400 * 30).slice(0, 10) },
    });
    expect(late.status).toBe(409);
    // The client sees the quotes once the round is closed.
    expect((await api('GET', `/v1/orders/${id}/quotes`, { token: t.client })).body.items).toHaveLength(1);
  });

  it('validates the asset through the assets sandbox (unknown ones flagged for triage) and posts the maintenance record on close', async () => {
    const known = await newOrder({ assetCode: 'HVAC-001' });
    const unknown = await newOrder({ assetCode: 'XX-999' });
    const enriched = await eventually(async () => {
      const o = await order(known);
      return o.asset ? o : undefined;
    });
    expect(enriched.asset).toEqual({ code: 'HVAC-001', name: 'Aire acondicionado piso 3', model: 'Carrier 42QHC' });
    expect(enriched.assetTriage).toBeUndefined();
    const flagged = await eventually(async () => {
      const o = await order(unknown);
      return o.assetTriage ? o : undefined;
    });
    expect(flagged.assetTriage.reason).toMatch(/XX-999/);
    expect(flagged.status).toBe('SUBMITTED'); // flagged, not failed

    // Drive the known one to CLOSED.
    await act(known, 'triage', t.operator);
    await act(known, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: { amount: 300_000_00, currency: 'COP' } });
    const { lifecycleDeps } = await import('../../functions/wiring');
    await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, known);
    await act(known, 'schedule', t.provider, { visitAt: inSeconds(3600) });
    await act(known, 'check-in', t.provider);
    const photo = await api('POST', `/v1/orders/${known}/attachments`, {
      token: t.provider,
      body: { kind: 'photo', fileName: 'f.png', contentType: 'image/png', size: PNG.length },
    });
    expect(await putFile(photo.body.upload, PNG)).toBe(201);
    await api('POST', `/v1/orders/${known}/attachments/${photo.body.attachment.id}/confirm`, { token: t.provider });
    await act(known, 'complete', t.provider, { report: 'Filtros cambiados', attachmentIds: [photo.body.attachment.id] });
    await act(known, 'verify', t.client);
    await act(known, 'invoice', t.provider, {
      invoiceNumber: `FV-A-${Date.now()}`,
      amount: { amount: 300_000_00, currency: 'COP' },
    });
    await act(known, 'close', t.operator);
    const recorded = await eventually(async () => {
      const o = await order(known);
      return o.maintenanceRecordedAt ? o : undefined;
    });
    expect(recorded.status).toBe('CLOSED');
    // Posted over HTTP to the assets system's sandbox, once.
    const records = stack.services.sandboxes!.assets.records();
    expect(records.filter((r) => r.orderId === known)).toEqual([
      expect.objectContaining({ assetCode: 'HVAC-001', summary: 'Filtros cambiados', siteId: DEMO.siteIds[0] }),
    ]);
    expect(records.some((r) => r.orderId === unknown)).toBe(false);
  });

  it('providers list the orders they were invited to or assigned (a view kept from order events), and only those', async () => {
    const id = await newOrder({ title: 'Vista de proveedor' });
    const notInvited = await newOrder({ title: 'Sin invitación' });
    await act(id, 'triage', t.operator);
    await act(id, 'request-quotes', t.operator, { quoteDeadline: inSeconds(3600) });
    const listedFor = async (token: string, query = '') =>
      ((await api('GET', `/v1/orders?limit=100${query}`, { token })).body.items as { id: string; status: string }[]).map(
        (o) => o.id,
      );
    await eventually(async () => ((await listedFor(t.provider)).includes(id) ? true : undefined));
    expect(await listedFor(t.provider)).not.toContain(notInvited);
    // The view follows the order: filters by status see the move to AWAITING_APPROVAL.
    const quote = await api('POST', `/v1/orders/${id}/quotes`, {
      token: t.provider,
      body: { amount: { amount: 200_000_00, currency: 'COP' }, leadTimeDays: 1, validUntil: inSeconds(86_400 * 30).slice(0, 10) },
    });
    await act(id, 'select-quote', t.operator, { quoteId: quote.body.id });
    await eventually(async () => ((await listedFor(t.provider, '&status=AWAITING_APPROVAL')).includes(id) ? true : undefined));
    expect(await listedFor(t.provider, '&status=QUOTING')).not.toContain(id);
    // Another provider sees none of it.
    const { loadOrCreateDevIssuer } = await import('../../local/dev-issuer');
    const { join } = await import('node:path');
    const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
    const other = await issuer.mint(
      { sub: 'u-other-provider', role: 'provider', providerId: DEMO.providerIds[1], name: 'Otro' },
      { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' },
    );
    expect(await listedFor(other)).not.toContain(id);
  });
});
