import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { apiClient, createOrder, orderActions, readOrder, refusedActions, startTestStack, typedClients } from '../support/stack';
import type { paths } from '../../client';

/**
 * Issue 14 over HTTP on the local stack: a stored profile is used only where it agrees with the
 * token (item 2), and a role that may never take an action is refused before the order's state
 * (item 5). Every refused call leaves the order as it was. The API through the typed client
 * (`as(token)`); `api` only for a body the schema forbids.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let refused: ReturnType<typeof refusedActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let mint: (claims: Record<string, string>) => Promise<string>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  refused = refusedActions(as);
  t = stack.tokens;
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  mint = (claims) =>
    issuer.mint({ name: 'Mixta', ...claims } as Parameters<typeof issuer.mint>[0], {
      issuer: process.env.AUTH_ISSUER!,
      audience: process.env.AUTH_AUDIENCE!,
      expiresIn: '1h',
    });
});
afterAll(async () => {
  await stack?.dispose();
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const PROBLEM = 'https://api.algesta.co/problems/';

const newOrder = async (title: string) => (await createOrder(as, t.client, { title })).id;

async function quoting(orderId: string): Promise<void> {
  await act(orderId, 'triage', t.operator, { priority: 'P2' });
  await act(orderId, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
}

async function toAwaitingApproval(orderId: string, amount: number): Promise<void> {
  await quoting(orderId);
  const quote = await as(t.provider).POST('/api/v1/orders/{orderId}/quotes', {
    params: { path: { orderId } },
    body: { amount: { amount, currency: 'COP' }, leadTimeDays: 2, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  expect(quote.response.status, JSON.stringify(quote.error)).toBe(201);
  await act(orderId, 'select-quote', t.operator, { quoteId: quote.data!.id });
}

async function version(orderId: string): Promise<{ status: string; version: number }> {
  const o = await readOrder(as, t.operator, orderId);
  // By version, not ETag: background steps may amend the order without a new version.
  return { status: o.status, version: o.version };
}

type UserBody = NonNullable<paths['/api/v1/users/{userId}']['put']['requestBody']>['content']['application/json'];
async function putUser(userId: string, body: UserBody): Promise<void> {
  const r = await as(t.admin).PUT('/api/v1/users/{userId}', { params: { path: { userId } }, body });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
}

describe('profiles are trusted only where they agree with the token', () => {
  it('a client token of A whose user’s profile belongs to client B (high limit): approve is 403 approval-limit-exceeded; /me does not show B', async () => {
    const b = await as(t.operator).POST('/api/v1/clients', { body: { name: 'Empresa B S.A.S.' } });
    expect(b.response.status, JSON.stringify(b.error)).toBe(201);
    const clientB = b.data!.id;
    await putUser('u-mixed-client', {
      role: 'client',
      clientId: clientB,
      name: 'Usuaria de B',
      email: 'b@example.com',
      phone: '+573001230001',
      approvalLimit: { amount: 1_000_000_000_00, currency: 'COP' },
    });
    const mixed = await mint({ sub: 'u-mixed-client', role: 'client', clientId: DEMO.clientId });

    const orderId = await newOrder('Perfil de otro cliente');
    await toAwaitingApproval(orderId, 900_000_00);
    const before = await version(orderId);
    const overLimit = await refused(orderId, 'approve', mixed, 403);
    expect(overLimit).toMatchObject({ type: `${PROBLEM}approval-limit-exceeded`, approvalLimit: null });
    expect(JSON.stringify(overLimit)).not.toContain(clientB);
    expect(await version(orderId)).toEqual(before);

    const me = await as(mixed).GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({
      userId: 'u-mixed-client',
      role: 'client',
      clientId: DEMO.clientId,
      roles: ['client'],
      stored: false,
      profileMismatch: { fields: ['clientId'] },
    });
    expect(me.data).not.toHaveProperty('approvalLimit');
    expect(me.data).not.toHaveProperty('phone');
    expect(JSON.stringify(me.data)).not.toContain(clientB);
    expect(me.response.headers.get('etag')).toBeNull();

    // Preferences are not written over it (409), and it stays set aside.
    const prefs = await as(mixed).PUT('/api/v1/me/preferences', { body: { channels: ['email'], locale: 'en' } });
    expect(prefs.response.status).toBe(409);
    expect(prefs.error).toMatchObject({ type: `${PROBLEM}conflict`, profileMismatch: { fields: ['clientId'] } });
    expect(JSON.stringify(prefs.error)).not.toContain(clientB);
    expect((await as(mixed).GET('/api/v1/me')).data!.profileMismatch).toEqual({ fields: ['clientId'] });

    // The demo client's own user, whose profile agrees, approves the same amount within its limit.
    expect((await act(orderId, 'approve', t.client)).status).toBe('CONTRACTING');
  });

  it('a provider token with another provider’s profile, and a client token with a staff profile: no profile', async () => {
    await putUser('u-mixed-provider', { role: 'provider', providerId: DEMO.providerIds[1], name: 'Del otro' });
    const provider = await mint({ sub: 'u-mixed-provider', role: 'provider', providerId: DEMO.providerIds[0] });
    const asProvider = await as(provider).GET('/api/v1/me');
    expect(asProvider.response.status).toBe(200);
    expect(asProvider.data).toMatchObject({
      providerId: DEMO.providerIds[0],
      stored: false,
      profileMismatch: { fields: ['providerId'] },
    });
    expect(JSON.stringify(asProvider.data)).not.toContain(DEMO.providerIds[1]);

    await putUser('u-mixed-role', { role: 'operator', name: 'Operadora', phone: '+573001230002' });
    const client = await mint({ sub: 'u-mixed-role', role: 'client', clientId: DEMO.clientId });
    const asClient = (await as(client).GET('/api/v1/me')).data;
    expect(asClient).toMatchObject({
      role: 'client',
      roles: ['client'],
      stored: false,
      profileMismatch: { fields: ['role', 'clientId'] },
    });
    expect(asClient).not.toHaveProperty('phone');
    // The seeded demo users' profiles agree with their tokens: shown as stored, with no mismatch.
    const own = (await as(t.client).GET('/api/v1/me')).data;
    expect(own).toMatchObject({ stored: true, clientId: DEMO.clientId });
    expect(own).not.toHaveProperty('profileMismatch');
  });
});

describe('403 before 409', () => {
  it('a client closing its own SUBMITTED order: 403, not 409 with allowedActions; an operator still gets the 409', async () => {
    const orderId = await newOrder('Cerrar antes de tiempo');
    const before = await version(orderId);
    const forbidden = await refused(orderId, 'close', t.client, 403);
    expect(forbidden.type).toBe(`${PROBLEM}forbidden`);
    expect(forbidden).not.toHaveProperty('allowedActions');
    expect(forbidden).not.toHaveProperty('currentState');
    const conflict = await refused(orderId, 'close', t.operator, 409);
    expect(conflict).toMatchObject({ currentState: 'SUBMITTED', allowedActions: ['triage', 'reject', 'cancel'] });
    expect(await version(orderId)).toEqual(before);
  });

  it('on a QUOTING order: provider triage, admin reject-quote, and a client naming an unknown quote are 403 (not 409, not 422)', async () => {
    const orderId = await newOrder('Cotizando');
    await quoting(orderId);
    const before = await version(orderId);
    await refused(orderId, 'triage', t.provider, 403);
    await refused(orderId, 'reject-quote', t.admin, 403, { reason: 'No me corresponde' });
    await refused(orderId, 'select-quote', t.client, 403, { quoteId: 'quo_no_existe' });
    await refused(orderId, 'assign', t.client, 403, { providerId: 'prv_no_existe', amount: { amount: 1, currency: 'COP' } });
    // Bad input is still a 400 first, and an order outside the caller's scope still a 404. (A number
    // for a quote id is off the contract on purpose: sent raw, the typed client would not compile it.)
    const badInput = await api('POST', `/v1/orders/${orderId}/actions/select-quote`, { token: t.client, body: { quoteId: 7 } });
    expect(badInput.status).toBe(400);
    const stranger = await mint({ sub: 'u-stranger', role: 'client', clientId: 'cli_00000000000000000000000009' });
    await refused(orderId, 'close', stranger, 404);
    expect(await version(orderId)).toEqual(before);
  });
});
