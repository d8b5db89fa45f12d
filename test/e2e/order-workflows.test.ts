import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  readOrder,
  startTestStack,
  storedAttachment,
  typedClients,
  type CreateOrderBody,
} from '../support/stack';

/**
 * The orders workflow on the local host, through the real bus (scheduled messages included): the
 * SLA watch raising at-risk and breach for a client whose policy makes the clock short, the quote
 * round closed at its deadline, the asset validated or flagged through the assets sandbox and the
 * maintenance record posted on close, and the providers' order listing kept from order events.
 * The API is called through the typed client (`as(token)`); `api` only for a body the schema forbids.
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

const newOrder = async (extra: Partial<CreateOrderBody> = {}, token = t.client) => (await createOrder(as, token, extra)).id;
const order = (id: string) => readOrder(as, t.operator, id);
const quoteBody = (amount: number, extra: { attachmentId?: string } = {}) => ({
  amount: { amount, currency: 'COP' },
  leadTimeDays: 1,
  validUntil: inSeconds(86_400 * 30).slice(0, 10),
  ...extra,
});
const submitQuote = (orderId: string, body: ReturnType<typeof quoteBody>) =>
  as(t.provider).POST('/api/v1/orders/{orderId}/quotes', { params: { path: { orderId } }, body });

describe('orders workflow on the local host', () => {
  it('SLA watch: a short acknowledge clock raises at-risk then breached through scheduled checks; operators list it', async () => {
    // A client whose policy gives P1 six seconds to acknowledge.
    const client = await as(t.operator).POST('/api/v1/clients', {
      body: { name: 'Cliente SLA', slaPolicy: { P1: { acknowledge: { minutes: 0.1 } } } },
    });
    expect(client.response.status, JSON.stringify(client.error)).toBe(201);
    const clientId = client.data!.id;
    expect(client.data!.slaPolicy).toEqual({ P1: { acknowledge: { minutes: 0.1 } } });
    const site = await as(t.operator).POST('/api/v1/clients/{clientId}/sites', {
      params: { path: { clientId } },
      body: { name: 'Sede', address: 'Cra 7 # 1', city: 'Bogotá' },
    });
    const id = await newOrder({ clientId, siteId: site.data!.id, priority: 'P1' }, t.operator);
    const created = await order(id);
    expect(created).toMatchObject({ slaStatus: 'on-track' });
    expect(Date.parse(created.sla!.clocks.acknowledge!.dueAt!) - Date.parse(created.createdAt)).toBe(6_000);

    const breached = await eventually(async () => {
      const o = await order(id);
      return o.slaStatus === 'breached' ? o : undefined;
    }, 30_000);
    expect(breached.sla!.clocks.acknowledge).toMatchObject({ atRiskRaised: true, breachedRaised: true });
    expect(breached.version).toBe(1); // SLA checks are not transitions
    const listed = await as(t.operator).GET('/api/v1/orders', { params: { query: { slaState: 'breached', clientId } } });
    expect(listed.data!.items.map((o) => o.id)).toEqual([id]);
    const onTrack = await as(t.operator).GET('/api/v1/orders', { params: { query: { slaState: 'on-track', clientId } } });
    expect(onTrack.data!.items).toEqual([]);
    // The sweep's query on the real Cosmos protocol: on-site and resolve still have marks ahead.
    const { slaWatchDeps } = await import('../../functions/wiring');
    const deps = await slaWatchDeps();
    const ahead = await deps.orders.findSlaChecksDue(new Date(Date.now() + 30 * 86_400_000).toISOString(), 1000);
    expect(ahead).toContainEqual({ clientId, orderId: id, checkAt: breached.slaNextCheckAt });
    expect(await deps.orders.findSlaChecksDue('2000-01-01T00:00:00.000Z', 10)).toEqual([]);
    // A bad policy is refused with a 4xx and creates nothing.
    const bad = await as(t.operator).POST('/api/v1/clients', {
      body: { name: 'Malo', slaPolicy: { P4: { acknowledge: { scheduledDate: true } } } },
    });
    expect(bad.response.status).toBe(422);
    // Raw on purpose: a priority the schema does not have (the typed client would not compile it).
    const typo = await api('POST', '/v1/clients', { token: t.operator, body: { name: 'Malo', slaPolicy: { P9: {} } } });
    expect(typo.status).toBe(400);
  });

  it('the quote round closes at its deadline by a scheduled message; later quotes are refused', async () => {
    const id = await newOrder();
    await act(id, 'triage', t.operator);
    await act(id, 'request-quotes', t.operator, { quoteDeadline: inSeconds(4) });
    // A quote may name its attachment (the detailed quote): it must be stored on this order.
    const unknownFile = await submitQuote(id, quoteBody(500_000_00, { attachmentId: 'att_nope' }));
    expect(unknownFile.response.status).toBe(422);
    const file = await storedAttachment(as, t.provider, id, { kind: 'other', fileName: 'cotizacion.png' });
    const quote = await submitQuote(id, quoteBody(500_000_00, { attachmentId: file }));
    expect(quote.response.status).toBe(201);
    expect(quote.data!.attachmentId).toBe(file);
    const closed = await eventually(async () => {
      const o = await order(id);
      return o.quoteRoundClosedAt ? o : undefined;
    });
    expect(closed.status).toBe('QUOTING');
    const history = await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: id } } });
    const closing = history.data!.items.filter((h) => h.action === 'close-quote-round');
    expect(closing).toEqual([expect.objectContaining({ by: { userId: 'system', role: 'system' }, details: { quoteCount: 1 } })]);
    const late = await submitQuote(id, quoteBody(400_000_00));
    expect(late.response.status).toBe(409);
    // The client sees the quotes once the round is closed.
    const seen = await as(t.client).GET('/api/v1/orders/{orderId}/quotes', { params: { path: { orderId: id } } });
    expect(seen.data!.items).toHaveLength(1);
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
    expect(flagged.assetTriage!.reason).toMatch(/XX-999/);
    expect(flagged.status).toBe('SUBMITTED'); // flagged, not failed

    // Drive the known one to CLOSED.
    await act(known, 'triage', t.operator);
    await act(known, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: { amount: 300_000_00, currency: 'COP' } });
    const { lifecycleDeps } = await import('../../functions/wiring');
    await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, known);
    await act(known, 'schedule', t.provider, { visitAt: inSeconds(3600) });
    await act(known, 'check-in', t.provider);
    const photo = await storedAttachment(as, t.provider, known);
    await act(known, 'complete', t.provider, { report: 'Filtros cambiados', attachmentIds: [photo] });
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
    const listedFor = async (token: string, status?: 'QUOTING' | 'AWAITING_APPROVAL') =>
      (
        await as(token).GET('/api/v1/orders', { params: { query: { limit: 100, ...(status ? { status } : {}) } } })
      ).data!.items.map((o) => o.id);
    await eventually(async () => ((await listedFor(t.provider)).includes(id) ? true : undefined));
    expect(await listedFor(t.provider)).not.toContain(notInvited);
    // The view follows the order: filters by status see the move to AWAITING_APPROVAL.
    const quote = await submitQuote(id, quoteBody(200_000_00));
    await act(id, 'select-quote', t.operator, { quoteId: quote.data!.id });
    await eventually(async () => ((await listedFor(t.provider, 'AWAITING_APPROVAL')).includes(id) ? true : undefined));
    expect(await listedFor(t.provider, 'QUOTING')).not.toContain(id);
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
