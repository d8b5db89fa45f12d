import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type paths } from '../../client';
import { DEMO } from '../../local/seed';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { orderBody, startTestStack, typedClients, type CreateOrderBody, type TypedClients } from '../support/stack';
import { expectProblem } from '../support/problems';

/**
 * The API's contract over HTTP on the local host, where it needs the stack itself: tokens of a new
 * tenant minted with the stack's development issuer, the CORS origins this stack is started with, a
 * dependency stopped under the readiness probe. Operations go through the dashboard's typed client
 * (client/, `as(token)`), so a renamed path, field or parameter fails the typecheck. The rest of the
 * contract (health, the OpenAPI document, problem answers, orders, the profile, the client) needs only
 * a URL and tokens, and runs locally and against a deployment: test/e2e/remote/.
 */

let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: TypedClients;
let tokens: typeof stack.tokens;

beforeAll(async () => {
  stack = await startTestStack({ CORS_ALLOWED_ORIGINS: 'https://dashboard.algesta.test' });
  as = typedClients(stack.url);
  tokens = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const newOrder = (extra: Partial<CreateOrderBody> = {}) => orderBody(DEMO.siteIds[0]!, extra);

const createOrder = (token: string, body: CreateOrderBody) => as(token).POST('/api/v1/orders', { body });
const getOrder = (token: string, orderId: string) => as(token).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } });
const listOrders = (token: string, query: NonNullable<paths['/api/v1/orders']['get']['parameters']['query']> = {}) =>
  as(token).GET('/api/v1/orders', { params: { query } });

describe('role × tenant matrix', () => {
  let otherClientId: string;
  let otherSiteId: string;
  let otherOrderId: string;
  let ownOrderId: string;
  let otherClientToken: string;

  const createClient = (token: string, name: string) => as(token).POST('/api/v1/clients', { body: { name } });
  const getClient = (token: string, clientId: string) =>
    as(token).GET('/api/v1/clients/{clientId}', { params: { path: { clientId } } });
  const createSite = (token: string, clientId: string, body: { name: string; address: string; city: string }) =>
    as(token).POST('/api/v1/clients/{clientId}/sites', { params: { path: { clientId } }, body });
  type UserBody = NonNullable<paths['/api/v1/users/{userId}']['put']['requestBody']>['content']['application/json'];
  const putUser = (token: string, userId: string, body: UserBody) =>
    as(token).PUT('/api/v1/users/{userId}', { params: { path: { userId } }, body });

  beforeAll(async () => {
    const c = await createClient(tokens.operator, 'Otra Empresa S.A.');
    expect(c.response.status).toBe(201);
    otherClientId = c.data!.id;
    const s = await createSite(tokens.admin, otherClientId, { name: 'Sede Cali', address: 'Av 6N # 25-30', city: 'Cali' });
    expect(s.response.status).toBe(201);
    otherSiteId = s.data!.id;
    const o = await createOrder(tokens.operator, newOrder({ clientId: otherClientId, siteId: otherSiteId }));
    expect(o.response.status).toBe(201);
    otherOrderId = o.data!.id;
    ownOrderId = (await createOrder(tokens.client, newOrder())).data!.id;
    const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
    otherClientToken = await issuer.mint(
      { sub: 'usr-other-client', role: 'client', clientId: otherClientId },
      { issuer: 'https://login.algesta.local/dev', audience: 'api://algesta-local' },
    );
  });

  it('clients: staff create (201); a client or provider may not (403)', async () => {
    expect((await createClient(tokens.admin, 'Tercera S.A.')).response.status).toBe(201);
    expectProblem(await createClient(tokens.client, 'Nope S.A.'), 403, 'forbidden');
    expectProblem(await createClient(tokens.provider, 'Nope S.A.'), 403, 'forbidden');
  });

  it('clients and sites: own tenant 200, other tenant 404, staff 200', async () => {
    expect((await getClient(tokens.client, DEMO.clientId)).response.status).toBe(200);
    expectProblem(await getClient(tokens.client, otherClientId), 404, 'not-found');
    expectProblem(await getClient(tokens.provider, DEMO.clientId), 404, 'not-found');
    expect((await getClient(tokens.operator, otherClientId)).response.status).toBe(200);
    const listSites = (token: string, clientId: string) =>
      as(token).GET('/api/v1/clients/{clientId}/sites', { params: { path: { clientId } } });
    const sites = await listSites(tokens.client, DEMO.clientId);
    expect(sites.data!.items.map((s) => s.id).sort()).toEqual([...DEMO.siteIds].sort());
    expectProblem(await listSites(tokens.client, otherClientId), 404, 'not-found');
    expectProblem(
      await createSite(tokens.client, DEMO.clientId, { name: 'Mine', address: 'Cl 1', city: 'Bogotá' }),
      403,
      'forbidden',
    );
    expectProblem(
      await createSite(tokens.client, otherClientId, { name: 'Theirs', address: 'Cl 1', city: 'Cali' }),
      404,
      'not-found',
    );
  });

  it('orders: a client reads its own and never another’s (404, also in lists and history)', async () => {
    expect((await getOrder(tokens.client, ownOrderId)).response.status).toBe(200);
    expectProblem(await getOrder(tokens.client, otherOrderId), 404, 'not-found');
    expectProblem(
      await as(tokens.client).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: otherOrderId } } }),
      404,
      'not-found',
    );
    expectProblem(await getOrder(otherClientToken, ownOrderId), 404, 'not-found');
    const mine = await listOrders(tokens.client, { limit: 100 });
    expect(mine.data!.items.every((o) => o.clientId === DEMO.clientId)).toBe(true);
    const peek = await listOrders(tokens.client, { clientId: otherClientId });
    expect(peek.data!.items).toEqual([]);
    const theirs = await listOrders(otherClientToken, { limit: 100 });
    expect(theirs.data!.items.map((o) => o.id)).toEqual([otherOrderId]);
  });

  it('orders: a client cannot create for another client (404)', async () => {
    expectProblem(await createOrder(tokens.client, newOrder({ clientId: otherClientId, siteId: otherSiteId })), 404, 'not-found');
  });

  it('orders: a provider sees none it is not assigned to; staff see every client’s', async () => {
    expectProblem(await getOrder(tokens.provider, ownOrderId), 404, 'not-found');
    expect((await listOrders(tokens.provider, { limit: 100 })).data!.items).toEqual([]);
    const all = await listOrders(tokens.operator, { limit: 100 });
    const clients = new Set(all.data!.items.map((o) => o.clientId));
    expect(clients.has(DEMO.clientId) && clients.has(otherClientId)).toBe(true);
    expect((await getOrder(tokens.admin, otherOrderId)).response.status).toBe(200);
  });

  it('users: staff set profiles; operators cannot make admins; clients cannot manage users', async () => {
    const put = await putUser(tokens.operator, 'usr-new-client', {
      role: 'client',
      clientId: otherClientId,
      email: 'new@otra.test',
      phone: '+573009998877',
      approvalLimit: { amount: 100000000, currency: 'COP' },
    });
    expect(put.response.status).toBe(201);
    expectProblem(await putUser(tokens.operator, 'usr-x', { role: 'admin' }), 403, 'forbidden');
    expectProblem(await putUser(tokens.client, 'usr-x', { role: 'operator' }), 403, 'forbidden');
    expectProblem(await putUser(tokens.operator, 'usr-x', { role: 'client' }), 422, 'unprocessable-entity');
    // A string, as the type says, but not a number in E.164: the schema's pattern, checked at run time.
    expectProblem(
      await putUser(tokens.operator, 'usr-x', { role: 'client', clientId: otherClientId, phone: '3001234' }),
      400,
      'validation-error',
    );
    // A WhatsApp number names one person: the demo client's number on another profile is refused.
    const taken = await putUser(tokens.operator, 'usr-x', { role: 'client', clientId: otherClientId, phone: '+573001112233' });
    expectProblem(taken, 409, 'conflict');
  });
});

describe('CORS', () => {
  // Preflights are the browser's, not the client's: sent with fetch.
  it('answers a preflight from an allowed origin and adds CORS headers to responses', async () => {
    const pre = await fetch(`${stack.url}/api/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dashboard.algesta.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://dashboard.algesta.test');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const res = await as().GET('/api/health', { headers: { origin: 'https://dashboard.algesta.test' } });
    expect(res.response.headers.get('access-control-allow-origin')).toBe('https://dashboard.algesta.test');
    expect(res.response.headers.get('access-control-expose-headers')).toContain('ETag');
  });

  it('gives an unknown origin no CORS headers', async () => {
    const pre = await fetch(`${stack.url}/api/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await as().GET('/api/health', { headers: { origin: 'https://evil.test' } });
    expect(res.response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('readiness when a dependency is down', () => {
  it('answers 503 naming the failed check (runs last: it stops Azurite)', async () => {
    await stack.services.azurite!.close();
    const res = await as().GET('/api/health/ready');
    expectProblem(res, 503, 'service-unavailable');
    expect(res.error!.detail).toContain('blob');
    expect(res.error).toMatchObject({ checks: { blob: 'failed', cosmos: 'ok' } });
  });
});
