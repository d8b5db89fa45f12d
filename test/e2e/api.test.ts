import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { apiClient, startTestStack } from '../support/stack';
import { join } from 'node:path';

const PROBLEM = 'https://api.algesta.co/problems/';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let tokens: typeof stack.tokens;

beforeAll(async () => {
  stack = await startTestStack({ CORS_ALLOWED_ORIGINS: 'https://dashboard.algesta.test' });
  api = apiClient(`${stack.url}/api`);
  tokens = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const newOrder = (extra: Record<string, unknown> = {}) => ({
  siteId: DEMO.siteIds[0],
  category: 'hvac',
  priority: 'P2',
  title: 'Aire acondicionado sin enfriar',
  description: 'El equipo del piso 3 no enfría desde ayer.',
  ...extra,
});

function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(PROBLEM + type);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.title).toBe('string');
}

describe('health and contract', () => {
  it('liveness and readiness answer 200 with every check ok', async () => {
    expect((await api('GET', '/health')).status).toBe(200);
    const ready = await api('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ cosmos: 'ok', blob: 'ok', bus: 'ok' });
  });

  it('serves the OpenAPI document anonymously, listing the slice’s operations', async () => {
    const res = await api('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
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
    const given = await api('GET', '/health', { headers: { 'x-correlation-id': 'abc-123' } });
    expect(given.headers.get('x-correlation-id')).toBe('abc-123');
    const generated = await api('GET', '/health', { headers: { 'x-correlation-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('error responses are problem details', () => {
  it('404 for an unknown route', async () => {
    expectProblem(await api('GET', '/v1/nothing-here', { token: tokens.operator }), 404, 'not-found');
  });

  it('405 with Allow for a known route and a wrong method', async () => {
    const res = await api('DELETE', '/v1/orders', { token: tokens.operator });
    expectProblem(res, 405, 'method-not-allowed');
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'POST']);
  });

  it('401 with WWW-Authenticate for a missing or bad token', async () => {
    const missing = await api('GET', '/v1/me');
    expectProblem(missing, 401, 'unauthorized');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="algesta"');
    const bad = await api('GET', '/v1/me', { token: 'not.a.jwt' });
    expectProblem(bad, 401, 'unauthorized');
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('400 for malformed JSON, 415 for another content type, 413 over 1 MB', async () => {
    expectProblem(
      await api('POST', '/v1/orders', {
        token: tokens.client,
        rawBody: '{"title": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'malformed-json',
    );
    expectProblem(
      await api('POST', '/v1/orders', {
        token: tokens.client,
        rawBody: 'title=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported-media-type',
    );
    const huge = JSON.stringify(newOrder({ description: 'x'.repeat(1024 * 1024 + 10) }));
    expectProblem(
      await api('POST', '/v1/orders', { token: tokens.client, rawBody: huge, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );
  });

  it('400 with per-field errors for invalid input, and nothing is written', async () => {
    const before = await api('GET', '/v1/orders?limit=100', { token: tokens.client });
    const res = await api('POST', '/v1/orders', {
      token: tokens.client,
      body: { siteId: DEMO.siteIds[0], category: 'gardening', priority: 'P9', title: '', extra: 1 },
    });
    expectProblem(res, 400, 'validation-error');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/body/category', '/body/priority', '/body/title', '/body/description']));
    const after = await api('GET', '/v1/orders?limit=100', { token: tokens.client });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('400 for an invalid query (limit over 100) and for a forged continuation token', async () => {
    expectProblem(await api('GET', '/v1/orders?limit=101', { token: tokens.client }), 400, 'validation-error');
    const forged = await api('GET', '/v1/orders?continuationToken=bm90LWEtdG9rZW4', { token: tokens.client });
    expectProblem(forged, 400, 'validation-error');
    expect(forged.body.errors[0].pointer).toBe('/query/continuationToken');
  });

  it('422 for a business rule (unknown site)', async () => {
    const res = await api('POST', '/v1/orders', {
      token: tokens.client,
      body: newOrder({ siteId: 'sit_00000000000000000000000099' }),
    });
    expectProblem(res, 422, 'unprocessable-entity');
    expect(res.body.errors[0].pointer).toBe('/body/siteId');
  });
});

describe('orders', () => {
  it('creates an order (201, Location, ETag) that reads back with its history', async () => {
    const created = await api('POST', '/v1/orders', { token: tokens.client, body: newOrder() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'SUBMITTED',
      clientId: DEMO.clientId,
      requester: { userId: DEMO.users.client },
    });
    expect(created.headers.get('location')).toBe(`/api/v1/orders/${created.body.id}`);
    const etag = created.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);

    const read = await api('GET', `/v1/orders/${created.body.id}`, { token: tokens.client });
    expect(read.status).toBe(200);
    for (const field of ['docType', '_etag', '_ts', '_rid', '_self', '_lsn']) expect(read.body).not.toHaveProperty(field);
    // What the workflow may add meanwhile (the client's Asana task) aside, the read is the created order.
    const { asanaTaskGid: _task, ...stable } = read.body;
    expect(stable).toEqual(created.body);
    expect(read.headers.get('etag')).toMatch(/^".+"$/);

    const history = await api('GET', `/v1/orders/${created.body.id}/history`, { token: tokens.client });
    expect(history.body.items).toEqual([expect.objectContaining({ action: 'create', from: null, to: 'SUBMITTED' })]);
  });

  it('pages a list with continuation tokens: every order once, newest first, filters applied', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await api('POST', '/v1/orders', {
        token: tokens.client,
        body: newOrder({ priority: 'P4', siteId: DEMO.siteIds[1], title: `Paging ${i}` }),
      });
      ids.push(r.body.id);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const q = new URLSearchParams({
        priority: 'P4',
        siteId: DEMO.siteIds[1],
        limit: '2',
        ...(token ? { continuationToken: token } : {}),
      });
      const page = await api('GET', `/v1/orders?${q}`, { token: tokens.client });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((o: { id: string }) => o.id));
      token = page.body.continuationToken;
      pages++;
    } while (token && pages < 10);
    expect(seen).toEqual([...ids].reverse());
    // A token is bound to its query: reusing it with other filters is a 400.
    const first = await api('GET', `/v1/orders?priority=P4&limit=2`, { token: tokens.client });
    const misuse = await api('GET', `/v1/orders?priority=P1&limit=2&continuationToken=${first.body.continuationToken}`, {
      token: tokens.client,
    });
    expect(misuse.status).toBe(400);
  });

  it('Idempotency-Key: same key and body replays without a second write; another body is 422', async () => {
    const key = `key-${Date.now()}`;
    const body = newOrder({ title: 'Idempotent create' });
    const first = await api('POST', '/v1/orders', { token: tokens.client, body, headers: { 'idempotency-key': key } });
    const second = await api('POST', '/v1/orders', { token: tokens.client, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const list = await api('GET', '/v1/orders?limit=100', { token: tokens.client });
    expect(list.body.items.filter((o: { title: string }) => o.title === 'Idempotent create')).toHaveLength(1);

    const reused = await api('POST', '/v1/orders', {
      token: tokens.client,
      body: { ...body, title: 'Other' },
      headers: { 'idempotency-key': key },
    });
    expectProblem(reused, 422, 'idempotency-key-reused');
    // The same key from another user is another request.
    const other = await api('POST', '/v1/orders', {
      token: tokens.operator,
      body: { ...body, clientId: DEMO.clientId },
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
  });
});

describe('role × tenant matrix', () => {
  let otherClientId: string;
  let otherSiteId: string;
  let otherOrderId: string;
  let ownOrderId: string;
  let otherClientToken: string;

  beforeAll(async () => {
    const c = await api('POST', '/v1/clients', { token: tokens.operator, body: { name: 'Otra Empresa S.A.' } });
    expect(c.status).toBe(201);
    otherClientId = c.body.id;
    const s = await api('POST', `/v1/clients/${otherClientId}/sites`, {
      token: tokens.admin,
      body: { name: 'Sede Cali', address: 'Av 6N # 25-30', city: 'Cali' },
    });
    expect(s.status).toBe(201);
    otherSiteId = s.body.id;
    const o = await api('POST', '/v1/orders', {
      token: tokens.operator,
      body: newOrder({ clientId: otherClientId, siteId: otherSiteId }),
    });
    expect(o.status).toBe(201);
    otherOrderId = o.body.id;
    ownOrderId = (await api('POST', '/v1/orders', { token: tokens.client, body: newOrder() })).body.id;
    const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
    otherClientToken = await issuer.mint(
      { sub: 'usr-other-client', role: 'client', clientId: otherClientId },
      { issuer: 'https://login.algesta.local/dev', audience: 'api://algesta-local' },
    );
  });

  it('clients: staff create (201); a client or provider may not (403)', async () => {
    expect((await api('POST', '/v1/clients', { token: tokens.admin, body: { name: 'Tercera S.A.' } })).status).toBe(201);
    expectProblem(await api('POST', '/v1/clients', { token: tokens.client, body: { name: 'Nope S.A.' } }), 403, 'forbidden');
    expectProblem(await api('POST', '/v1/clients', { token: tokens.provider, body: { name: 'Nope S.A.' } }), 403, 'forbidden');
  });

  it('clients and sites: own tenant 200, other tenant 404, staff 200', async () => {
    expect((await api('GET', `/v1/clients/${DEMO.clientId}`, { token: tokens.client })).status).toBe(200);
    expectProblem(await api('GET', `/v1/clients/${otherClientId}`, { token: tokens.client }), 404, 'not-found');
    expectProblem(await api('GET', `/v1/clients/${DEMO.clientId}`, { token: tokens.provider }), 404, 'not-found');
    expect((await api('GET', `/v1/clients/${otherClientId}`, { token: tokens.operator })).status).toBe(200);
    const sites = await api('GET', `/v1/clients/${DEMO.clientId}/sites`, { token: tokens.client });
    expect(sites.body.items.map((s: { id: string }) => s.id).sort()).toEqual([...DEMO.siteIds].sort());
    expectProblem(await api('GET', `/v1/clients/${otherClientId}/sites`, { token: tokens.client }), 404, 'not-found');
    expectProblem(
      await api('POST', `/v1/clients/${DEMO.clientId}/sites`, {
        token: tokens.client,
        body: { name: 'Mine', address: 'Cl 1', city: 'Bogotá' },
      }),
      403,
      'forbidden',
    );
    expectProblem(
      await api('POST', `/v1/clients/${otherClientId}/sites`, {
        token: tokens.client,
        body: { name: 'Theirs', address: 'Cl 1', city: 'Cali' },
      }),
      404,
      'not-found',
    );
  });

  it('orders: a client reads its own and never another’s (404, also in lists and history)', async () => {
    expect((await api('GET', `/v1/orders/${ownOrderId}`, { token: tokens.client })).status).toBe(200);
    expectProblem(await api('GET', `/v1/orders/${otherOrderId}`, { token: tokens.client }), 404, 'not-found');
    expectProblem(await api('GET', `/v1/orders/${otherOrderId}/history`, { token: tokens.client }), 404, 'not-found');
    expectProblem(await api('GET', `/v1/orders/${ownOrderId}`, { token: otherClientToken }), 404, 'not-found');
    const mine = await api('GET', '/v1/orders?limit=100', { token: tokens.client });
    expect(mine.body.items.every((o: { clientId: string }) => o.clientId === DEMO.clientId)).toBe(true);
    const peek = await api('GET', `/v1/orders?clientId=${otherClientId}`, { token: tokens.client });
    expect(peek.body.items).toEqual([]);
    const theirs = await api('GET', '/v1/orders?limit=100', { token: otherClientToken });
    expect(theirs.body.items.map((o: { id: string }) => o.id)).toEqual([otherOrderId]);
  });

  it('orders: a client cannot create for another client (404); a provider may not create (403)', async () => {
    expectProblem(
      await api('POST', '/v1/orders', { token: tokens.client, body: newOrder({ clientId: otherClientId, siteId: otherSiteId }) }),
      404,
      'not-found',
    );
    expectProblem(
      await api('POST', '/v1/orders', { token: tokens.provider, body: newOrder({ clientId: DEMO.clientId }) }),
      403,
      'forbidden',
    );
  });

  it('orders: a provider sees none it is not assigned to; staff see every client’s', async () => {
    expectProblem(await api('GET', `/v1/orders/${ownOrderId}`, { token: tokens.provider }), 404, 'not-found');
    expect((await api('GET', '/v1/orders?limit=100', { token: tokens.provider })).body.items).toEqual([]);
    const all = await api('GET', '/v1/orders?limit=100', { token: tokens.operator });
    const clients = new Set(all.body.items.map((o: { clientId: string }) => o.clientId));
    expect(clients.has(DEMO.clientId) && clients.has(otherClientId)).toBe(true);
    expect((await api('GET', `/v1/orders/${otherOrderId}`, { token: tokens.admin })).status).toBe(200);
  });

  it('users: staff set profiles; operators cannot make admins; clients cannot manage users', async () => {
    const put = await api('PUT', '/v1/users/usr-new-client', {
      token: tokens.operator,
      body: {
        role: 'client',
        clientId: otherClientId,
        email: 'new@otra.test',
        phone: '+573009998877',
        approvalLimit: { amount: 100000000, currency: 'COP' },
      },
    });
    expect(put.status).toBe(201);
    expectProblem(await api('PUT', '/v1/users/usr-x', { token: tokens.operator, body: { role: 'admin' } }), 403, 'forbidden');
    expectProblem(await api('PUT', '/v1/users/usr-x', { token: tokens.client, body: { role: 'operator' } }), 403, 'forbidden');
    expectProblem(
      await api('PUT', '/v1/users/usr-x', { token: tokens.operator, body: { role: 'client' } }),
      422,
      'unprocessable-entity',
    );
    expectProblem(
      await api('PUT', '/v1/users/usr-x', {
        token: tokens.operator,
        body: { role: 'client', clientId: otherClientId, phone: '3001234' },
      }),
      400,
      'validation-error',
    );
    // A WhatsApp number names one person: the demo client's number on another profile is refused.
    const taken = await api('PUT', '/v1/users/usr-x', {
      token: tokens.operator,
      body: { role: 'client', clientId: otherClientId, phone: '+573001112233' },
    });
    expectProblem(taken, 409, 'conflict');
  });

  it('me and preferences: ETag and If-Match (412 on a stale tag)', async () => {
    const me = await api('GET', '/v1/me', { token: tokens.client });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      userId: DEMO.users.client,
      role: 'client',
      roles: ['client'],
      clientId: DEMO.clientId,
      stored: true,
    });
    const etag = me.headers.get('etag')!;
    const updated = await api('PUT', '/v1/me/preferences', {
      token: tokens.client,
      body: { channels: ['email', 'whatsapp'], locale: 'en' },
      headers: { 'if-match': etag },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.preferences).toEqual({ channels: ['email', 'whatsapp'], locale: 'en' });
    expect(updated.headers.get('etag')).not.toBe(etag);
    const stale = await api('PUT', '/v1/me/preferences', {
      token: tokens.client,
      body: { channels: ['email'], locale: 'es-CO' },
      headers: { 'if-match': etag },
    });
    expectProblem(stale, 412, 'precondition-failed');
    const after = await api('GET', '/v1/me', { token: tokens.client });
    expect(after.body.preferences.locale).toBe('en');
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin and adds CORS headers to responses', async () => {
    const pre = await fetch(`${stack.url}/api/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dashboard.algesta.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://dashboard.algesta.test');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const res = await api('GET', '/health', { headers: { origin: 'https://dashboard.algesta.test' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://dashboard.algesta.test');
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
  });

  it('gives an unknown origin no CORS headers', async () => {
    const pre = await fetch(`${stack.url}/api/v1/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await api('GET', '/health', { headers: { origin: 'https://evil.test' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('readiness when a dependency is down', () => {
  it('answers 503 naming the failed check (runs last: it stops Azurite)', async () => {
    await stack.services.azurite!.close();
    const res = await api('GET', '/health/ready');
    expectProblem(res, 503, 'service-unavailable');
    expect(res.body.detail).toContain('blob');
    expect(res.body.checks).toMatchObject({ blob: 'failed', cosmos: 'ok' });
  });
});
