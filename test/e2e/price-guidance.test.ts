import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevTokenClaims } from '../../local/dev-issuer';
import { DEMO, DEMO_PRICE_HISTORY, demoProvider } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  startTestStack,
  storedAttachment,
  typedClients,
  type TypedClients,
} from '../support/stack';

/**
 * Price guidance over HTTP on the local host (docs/orders.md, "Price guidance"): orders closed through
 * the API become the client's price history by way of the orders workflow (relay, bus, consumer);
 * then a quote round shows a quote above p75 and the levelling of the round, the staff's endpoint
 * suggests the median as NTE and `assign` records that it was accepted. Other tenants see nothing.
 *
 * Electrical work in Bogotá has no demo history (local/seed.ts seeds hvac and plumbing), so the
 * history here is exactly the four orders this test closes.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: TypedClients;
let raw: ReturnType<typeof apiClient>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let secondProvider: string;
let stranger: string;

const SECOND = 'prv_00000000000000000000000077';
const M = 1_000_000_00; // a million pesos, in centavos
const cop = (amount: number) => ({ amount, currency: 'COP' });
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

async function mint(claims: DevTokenClaims): Promise<string> {
  const { loadOrCreateDevIssuer } = await import('../../local/dev-issuer');
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  return issuer.mint(claims, { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' });
}

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
  raw = apiClient(`${stack.url}/api`);
  act = orderActions(as);
  t = stack.tokens;
  // A second approved electrician in Bogotá, so the round has two quotes to level.
  const { getRoot } = await import('../../functions/composition-root');
  await (
    await getRoot().providers()
  ).create(demoProvider(SECOND, 'Voltios S.A.S.', '900555444-1', ['electrical'], ['Bogotá']), [], []);
  secondProvider = await mint({ sub: 'u-second-provider', role: 'provider', providerId: SECOND, name: 'Voltios' });
  stranger = await mint({ sub: 'u-stranger', role: 'client', clientId: 'cli_00000000000000000000000009', name: 'X' });
});
afterAll(async () => {
  await stack?.dispose();
});

const guidanceOf = (orderId: string, token: string) =>
  as(token).GET('/api/v1/orders/{orderId}/price-guidance', { params: { path: { orderId } } });
const quotesOf = (orderId: string, token: string) =>
  as(token).GET('/api/v1/orders/{orderId}/quotes', { params: { path: { orderId } } });
const electrical = () => createOrder(as, t.client, { category: 'electrical', title: 'Tablero', description: 'Salta el breaker' });

/** An electrical order taken through the API to CLOSED, invoiced at `amount`. */
async function closedFor(amount: number, n: number): Promise<string> {
  const id = (await electrical()).id;
  await act(id, 'triage', t.operator);
  await act(id, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: cop(amount) });
  const { lifecycleDeps } = await import('../../functions/wiring');
  await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, id, `env-${id}`);
  await act(id, 'schedule', t.provider, { visitAt: inHours(24) });
  await act(id, 'check-in', t.provider);
  await act(id, 'complete', t.provider, { report: 'Listo', attachmentIds: [await storedAttachment(as, t.provider, id)] });
  await act(id, 'verify', t.client);
  await act(id, 'invoice', t.provider, { invoiceNumber: `FV-PG-${Date.now()}-${n}`, amount: cop(amount) });
  await act(id, 'close', t.operator);
  return id;
}

describe('price guidance over HTTP', () => {
  it('the demo client has hvac history in Bogotá from the seed, through the same read model', async () => {
    const id = (await createOrder(as, t.client)).id; // hvac at the Bogotá site
    const { data } = await guidanceOf(id, t.operator);
    const seeded = DEMO_PRICE_HISTORY.find((h) => h.category === 'hvac')!.amounts;
    expect(data).toMatchObject({ category: 'hvac', city: 'Bogotá', history: [{ currency: 'COP', count: seeded.length }] });
    expect(data!.suggestedNte).toEqual(cop(1_115_000_00)); // the median of the six seeded invoices
  });

  it('closed orders become history; a quote above p75 is flagged, the round levelled, the median suggested and accepted', async () => {
    const first = (await electrical()).id;
    expect((await guidanceOf(first, t.operator)).data).toMatchObject({ history: [], suggestedNte: null });

    const amounts = [M, 1_100_000_00, 1_200_000_00, 1_300_000_00];
    for (const [i, amount] of amounts.entries()) await closedFor(amount, i);
    // The orders workflow counts each close (relay → bus → consumer): quartiles 1.075 / 1.15 / 1.225 million.
    const guidance = await eventually(async () => {
      const { data } = await guidanceOf(first, t.operator);
      return data?.history[0]?.count === 4 ? data : undefined;
    });
    expect(guidance).toEqual({
      orderId: first,
      category: 'electrical',
      city: 'Bogotá',
      minSample: 4,
      history: [{ currency: 'COP', count: 4, p25: 1_075_000_00, median: 1_150_000_00, p75: 1_225_000_00 }],
      suggestedNte: cop(1_150_000_00),
    });

    // A round with two quotes: 1.5 million (above p75) and 1.1 million (between the quartiles).
    await act(first, 'triage', t.operator);
    const quoting = await act(first, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
    expect([...(quoting.invitedProviderIds ?? [])].sort()).toEqual([DEMO.providerIds[0], SECOND].sort());
    const quote = { leadTimeDays: 2, validUntil: inHours(24 * 30).slice(0, 10) };
    const high = await as(t.provider).POST('/api/v1/orders/{orderId}/quotes', {
      params: { path: { orderId: first } },
      body: { ...quote, amount: cop(1_500_000_00) },
    });
    const low = await as(secondProvider).POST('/api/v1/orders/{orderId}/quotes', {
      params: { path: { orderId: first } },
      body: { ...quote, amount: cop(1_100_000_00) },
    });
    expect([high.response.status, low.response.status]).toEqual([201, 201]);

    const staff = (await quotesOf(first, t.operator)).data!;
    const byId = Object.fromEntries(staff.items.map((q) => [q.id, q.guidance]));
    expect(byId[high.data!.id]).toEqual({
      history: 'above-p75',
      round: { rank: 2, of: 2, vsMedianPct: 15.4, lowest: false, highest: true },
    });
    expect(byId[low.data!.id]).toEqual({
      history: 'p25-p75',
      round: { rank: 1, of: 2, vsMedianPct: -15.4, lowest: true, highest: false },
    });
    expect(staff.guidance).toEqual({
      rounds: [{ currency: 'COP', count: 2, median: 1_300_000_00, lowest: 1_100_000_00, highest: 1_500_000_00 }],
      history: guidance.history,
      minSample: 4,
    });

    // A provider sees its own quote and no guidance; the client none while the round is sealed.
    const own = (await quotesOf(first, secondProvider)).data!;
    expect(own.items.map((q) => q.id)).toEqual([low.data!.id]);
    expect(own.guidance).toBeUndefined();
    expect(own.items[0]!.guidance).toBeUndefined();
    expect((await quotesOf(first, t.client)).data!.items).toEqual([]);
    // Selecting the round closes it for the client, who then sees the same guidance as staff.
    await act(first, 'select-quote', t.operator, { quoteId: low.data!.id });
    const client = (await quotesOf(first, t.client)).data!;
    expect(Object.fromEntries(client.items.map((q) => [q.id, q.guidance?.history]))).toEqual({
      [high.data!.id]: 'above-p75',
      [low.data!.id]: 'p25-p75',
    });

    // The suggestion accepted at assignment is recorded in the history entry.
    const next = (await electrical()).id;
    await act(next, 'triage', t.operator);
    await act(next, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: guidance.suggestedNte! });
    const history = await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: next } } });
    expect(history.data!.items.find((h) => h.action === 'assign')!.details).toMatchObject({
      nteGuidance: { suggested: cop(1_150_000_00), choice: 'accepted', vsSuggestionPct: 0 },
    });
  });

  it('only staff read price guidance; another client sees neither the order’s guidance nor its quotes', async () => {
    const id = (await electrical()).id;
    expect((await raw('GET', `/v1/orders/${id}/price-guidance`, { token: t.client })).status).toBe(403);
    expect((await raw('GET', `/v1/orders/${id}/price-guidance`, { token: t.provider })).status).toBe(404);
    const foreign = await raw('GET', `/v1/orders/${id}/price-guidance`, { token: stranger });
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('median');
    expect((await raw('GET', `/v1/orders/${id}/quotes`, { token: stranger })).status).toBe(404);
  });
});
