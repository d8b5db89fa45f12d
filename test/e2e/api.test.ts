import { Validator } from '@seriousme/openapi-schema-validator';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlgestaProblemError, createAlgestaClient, isProblem, unwrap, type paths } from '../../client';
import { DEMO } from '../../local/seed';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { loadBuildInfo } from '../../shared/platform/build-info';
import { apiClient, startTestStack, typedClients, type CreateOrderBody, type TypedClients } from '../support/stack';

/**
 * The API's contract over HTTP on the local host. The operations are called through the dashboard's
 * typed client (client/, `as(token)`), so a renamed path, field or parameter fails the typecheck;
 * `raw` sends what the contract forbids on purpose (malformed JSON, other content types, oversized or
 * invalid bodies, unknown routes and methods) and CORS preflights, which no client sends itself.
 */
const PROBLEM = 'https://api.algesta.co/problems/' as const;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let raw: ReturnType<typeof apiClient>;
let as: TypedClients;
let tokens: typeof stack.tokens;

beforeAll(async () => {
  stack = await startTestStack({ CORS_ALLOWED_ORIGINS: 'https://dashboard.algesta.test' });
  raw = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  tokens = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const newOrder = (extra: Partial<CreateOrderBody> = {}): CreateOrderBody => ({
  siteId: DEMO.siteIds[0]!,
  category: 'hvac',
  priority: 'P2',
  title: 'Aire acondicionado sin enfriar',
  description: 'El equipo del piso 3 no enfría desde ayer.',
  ...extra,
});

/** A typed call's answer (`{ response, error }`) or a raw one (`{ status, headers, body }`). */
type Answer = { response: Response; error?: unknown } | { status: number; headers: Headers; body: any };

/**
 * The error of a typed answer as the problem type `type`: asserts the type and narrows the union of the
 * operation's problems (each with its own schema in the document) to that one.
 */
function problemOf<E extends { type: string }, T extends string>(
  error: E | undefined,
  type: T,
): Extract<E, { type: `${typeof PROBLEM}${T}` }> {
  expect(error?.type).toBe(PROBLEM + type);
  return error as Extract<E, { type: `${typeof PROBLEM}${T}` }>;
}

function expectProblem(answer: Answer, status: number, type: string) {
  const res =
    'response' in answer
      ? { status: answer.response.status, headers: answer.response.headers, body: answer.error as any }
      : answer;
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(PROBLEM + type);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe('string');
}

const createOrder = (token: string, body: CreateOrderBody, idempotencyKey?: string) =>
  as(token).POST('/api/v1/orders', {
    body,
    ...(idempotencyKey ? { params: { header: { 'Idempotency-Key': idempotencyKey } } } : {}),
  });
const getOrder = (token: string, orderId: string) => as(token).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } });
const listOrders = (token: string, query: NonNullable<paths['/api/v1/orders']['get']['parameters']['query']> = {}) =>
  as(token).GET('/api/v1/orders', { params: { query } });

describe('health and contract', () => {
  it('liveness and readiness answer 200 with every check ok', async () => {
    const live = await as().GET('/api/health');
    expect(live.response.status).toBe(200);
    // No ALGESTA_REGION on the local stack: no region in the answer (test/e2e/outbox-failover.test.ts sets one).
    expect(live.data).toEqual({ status: 'ok', ...loadBuildInfo() });
    const ready = await as().GET('/api/health/ready');
    expect(ready.response.status).toBe(200);
    expect(ready.data!.checks).toEqual({ cosmos: 'ok', blob: 'ok', bus: 'ok' });
  });

  it('serves the OpenAPI document anonymously, listing the slice’s operations', async () => {
    // Raw: the document's own answer has no schema for the typed client to give it a type.
    const res = await raw('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    // The typed client (client/) was generated from exactly this document.
    expect(res.body).toEqual(JSON.parse(await readFile(join(__dirname, '../../client/openapi.json'), 'utf8')));
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/orders', '/api/v1/orders/{orderId}', '/api/v1/clients/{clientId}/sites', '/api/v1/me']),
    );
    const validation = await new Validator().validate(res.body);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    // Request schemas are the validators' own: the create body is strict and lists its required fields.
    const create = res.body.paths['/api/v1/orders'].post;
    const bodySchema = create.requestBody.content['application/json'].schema;
    expect(bodySchema.required).toEqual(expect.arrayContaining(['siteId', 'category', 'priority', 'title', 'description']));
    expect(bodySchema.additionalProperties).toBe(false);
    expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '413', '415', '422', '500']),
    );
  });

  it('echoes a well-formed correlation id and generates one otherwise', async () => {
    const given = await as().GET('/api/health', { headers: { 'x-correlation-id': 'abc-123' } });
    expect(given.response.headers.get('x-correlation-id')).toBe('abc-123');
    const generated = await as().GET('/api/health', { headers: { 'x-correlation-id': 'bad id with spaces' } });
    expect(generated.response.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('error responses are problem details', () => {
  // Off the contract on purpose (raw): a route and a method the document does not list.
  it('404 for an unknown route', async () => {
    expectProblem(await raw('GET', '/v1/nothing-here', { token: tokens.operator }), 404, 'not-found');
  });

  it('405 with Allow for a known route and a wrong method', async () => {
    const res = await raw('DELETE', '/v1/orders', { token: tokens.operator });
    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'POST']);
  });

  it('401 with WWW-Authenticate for a missing or bad token', async () => {
    const missing = await as().GET('/api/v1/me');
    expectProblem(missing, 401, 'unauthorized');
    expect(missing.response.headers.get('www-authenticate')).toBe('Bearer realm="algesta"');
    const bad = await as('not.a.jwt').GET('/api/v1/me');
    expectProblem(bad, 401, 'unauthorized');
    expect(bad.response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  // Raw on purpose: the typed client always sends well-formed JSON, and only that.
  it('400 for malformed JSON, 415 for another content type, 413 over 1 MB', async () => {
    expectProblem(
      await raw('POST', '/v1/orders', {
        token: tokens.client,
        rawBody: '{"title": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'malformed-json',
    );
    expectProblem(
      await raw('POST', '/v1/orders', {
        token: tokens.client,
        rawBody: 'title=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported-media-type',
    );
    const huge = JSON.stringify(newOrder({ description: 'x'.repeat(1024 * 1024 + 10) }));
    expectProblem(
      await raw('POST', '/v1/orders', { token: tokens.client, rawBody: huge, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );
  });

  it('400 with per-field errors for invalid input, and nothing is written', async () => {
    const before = await listOrders(tokens.client, { limit: 100 });
    // Raw on purpose: a body the schema forbids (the typed client would not compile it).
    const res = await raw('POST', '/v1/orders', {
      token: tokens.client,
      body: { siteId: DEMO.siteIds[0], category: 'gardening', priority: 'P9', title: '', extra: 1 },
    });
    expectProblem(res, 400, 'validation-error');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/body/category', '/body/priority', '/body/title', '/body/description']));
    const after = await listOrders(tokens.client, { limit: 100 });
    expect(after.data!.items.length).toBe(before.data!.items.length);
  });

  it('400 for an invalid query (limit over 100) and for a forged continuation token', async () => {
    expectProblem(await listOrders(tokens.client, { limit: 101 }), 400, 'validation-error');
    const forged = await listOrders(tokens.client, { continuationToken: 'bm90LWEtdG9rZW4' });
    expectProblem(forged, 400, 'validation-error');
    expect(problemOf(forged.error, 'validation-error').errors![0]!.pointer).toBe('/query/continuationToken');
  });

  it('422 for a business rule (unknown site)', async () => {
    const res = await createOrder(tokens.client, newOrder({ siteId: 'sit_00000000000000000000000099' }));
    expectProblem(res, 422, 'unprocessable-entity');
    expect(problemOf(res.error, 'unprocessable-entity').errors![0]!.pointer).toBe('/body/siteId');
  });
});

describe('orders', () => {
  it('creates an order (201, Location, ETag) that reads back with its history', async () => {
    const created = await createOrder(tokens.client, newOrder());
    expect(created.response.status).toBe(201);
    const order = created.data!;
    expect(order).toMatchObject({
      status: 'SUBMITTED',
      clientId: DEMO.clientId,
      requester: { userId: DEMO.users.client },
    });
    expect(created.response.headers.get('location')).toBe(`/api/v1/orders/${order.id}`);
    const etag = created.response.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);

    const read = await getOrder(tokens.client, order.id);
    expect(read.response.status).toBe(200);
    for (const field of ['docType', '_etag', '_ts', '_rid', '_self', '_lsn']) expect(read.data).not.toHaveProperty(field);
    // What the workflow may add meanwhile (the client's Asana task) aside, the read is the created order.
    const { asanaTaskGid: _task, ...stable } = read.data!;
    expect(stable).toEqual(order);
    expect(read.response.headers.get('etag')).toMatch(/^".+"$/);

    const history = await as(tokens.client).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: order.id } } });
    expect(history.data!.items).toEqual([expect.objectContaining({ action: 'create', from: null, to: 'SUBMITTED' })]);
  });

  it('pages a list with continuation tokens: every order once, newest first, filters applied', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await createOrder(tokens.client, newOrder({ priority: 'P4', siteId: DEMO.siteIds[1]!, title: `Paging ${i}` }));
      ids.push(r.data!.id);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await listOrders(tokens.client, {
        priority: 'P4',
        siteId: DEMO.siteIds[1]!,
        limit: 2,
        ...(token ? { continuationToken: token } : {}),
      });
      expect(page.response.status).toBe(200);
      expect(page.data!.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.data!.items.map((o) => o.id));
      token = page.data!.continuationToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...ids].reverse());
    // A token is bound to its query: reusing it with other filters is a 400.
    const first = await listOrders(tokens.client, { priority: 'P4', limit: 2 });
    const misuse = await listOrders(tokens.client, {
      priority: 'P1',
      limit: 2,
      continuationToken: first.data!.continuationToken!,
    });
    expect(misuse.response.status).toBe(400);
  });

  it('Idempotency-Key: same key and body replays without a second write; another body is 422', async () => {
    const key = `key-${Date.now()}`;
    const body = newOrder({ title: 'Idempotent create' });
    const first = await createOrder(tokens.client, body, key);
    const second = await createOrder(tokens.client, body, key);
    expect(first.response.status).toBe(201);
    expect(second.response.status).toBe(201);
    expect(second.data).toEqual(first.data);
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    const list = await listOrders(tokens.client, { limit: 100 });
    expect(list.data!.items.filter((o) => o.title === 'Idempotent create')).toHaveLength(1);

    const reused = await createOrder(tokens.client, { ...body, title: 'Other' }, key);
    expectProblem(reused, 422, 'idempotency-key-reused');
    // The same key from another user is another request.
    const other = await createOrder(tokens.operator, { ...body, clientId: DEMO.clientId }, key);
    expect(other.response.status).toBe(201);
    expect(other.data!.id).not.toBe(first.data!.id);
  });
});

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

  it('orders: a client cannot create for another client (404); a provider may not create (403)', async () => {
    expectProblem(await createOrder(tokens.client, newOrder({ clientId: otherClientId, siteId: otherSiteId })), 404, 'not-found');
    expectProblem(await createOrder(tokens.provider, newOrder({ clientId: DEMO.clientId })), 403, 'forbidden');
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

  it('me and preferences: ETag and If-Match (412 on a stale tag)', async () => {
    const me = await as(tokens.client).GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({
      userId: DEMO.users.client,
      role: 'client',
      roles: ['client'],
      clientId: DEMO.clientId,
      stored: true,
    });
    const etag = me.response.headers.get('etag')!;
    const updated = await as(tokens.client).PUT('/api/v1/me/preferences', {
      params: { header: { 'If-Match': etag } },
      body: { channels: ['email', 'whatsapp'], locale: 'en' },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data!.preferences).toEqual({ channels: ['email', 'whatsapp'], locale: 'en' });
    expect(updated.response.headers.get('etag')).not.toBe(etag);
    const stale = await as(tokens.client).PUT('/api/v1/me/preferences', {
      params: { header: { 'If-Match': etag } },
      body: { channels: ['email'], locale: 'es-CO' },
    });
    expectProblem(stale, 412, 'precondition-failed');
    const after = await as(tokens.client).GET('/api/v1/me');
    expect(after.data!.preferences.locale).toBe('en');
  });
});

describe('the dashboard client itself (client/index.ts)', () => {
  it('asks a token function before every request, and unwrap returns the data or throws the problem', async () => {
    let asked = 0;
    const api = createAlgestaClient({
      baseUrl: stack.url,
      token: async () => {
        asked++;
        return tokens.client;
      },
    });
    const me = await unwrap(api.GET('/api/v1/me'));
    expect(me.userId).toBe(DEMO.users.client);
    expect((await unwrap(api.GET('/api/v1/orders', { params: { query: { limit: 1 } } }))).items.length).toBeLessThanOrEqual(1);
    expect(asked).toBe(2);

    const missing = unwrap(api.GET('/api/v1/orders/{orderId}', { params: { path: { orderId: 'ord_nope' } } }));
    await expect(missing).rejects.toBeInstanceOf(AlgestaProblemError);
    const error = (await missing.catch((e: unknown) => e)) as AlgestaProblemError;
    expect(error.status).toBe(404);
    expect(error.problem).toMatchObject({ type: `${PROBLEM}not-found`, status: 404 });
    expect(isProblem(error.problem)).toBe(true);
    expect(isProblem({ status: 404 })).toBe(false);
    // Without a token: the anonymous operations answer, the others are 401 problems.
    const anonymous = createAlgestaClient({ baseUrl: stack.url });
    expect((await anonymous.GET('/api/health')).response.status).toBe(200);
    await expect(unwrap(anonymous.GET('/api/v1/me'))).rejects.toMatchObject({
      status: 401,
      problem: { type: `${PROBLEM}unauthorized` },
    });
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
