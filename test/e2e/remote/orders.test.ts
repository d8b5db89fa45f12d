import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlgestaProblemError, createAlgestaClient, isProblem, unwrap, type paths } from '../../../client';
import { orderBody, typedClients, type CreateOrderBody, type TypedClients } from '../../support/stack';
import { expectProblem, PROBLEM } from '../../support/problems';
import { testTarget, type TestTarget } from '../../support/target';

/**
 * Orders, the caller's profile and the dashboard's client over HTTP, on the target of `testTarget()`
 * (the local stack under `npm test`, a deployed API under `npm run test:e2e:remote`). A deployment
 * keeps the orders of earlier runs: every assertion holds with other data present (titles and keys
 * are unique to the run), and only the local stack, fresh, is asked for exact counts.
 */
let target: TestTarget;
let as: TypedClients;
let tokens: TestTarget['tokens'];
const run = `${Date.now().toString(36)}-${process.pid}`;

beforeAll(async () => {
  target = await testTarget();
  as = typedClients(target.url);
  tokens = target.tokens;
});
afterAll(async () => {
  await target?.dispose();
});

const newOrder = (extra: Partial<CreateOrderBody> = {}) => orderBody(target.fixtures.siteIds[0]!, extra);
const createOrder = (token: string, body: CreateOrderBody, idempotencyKey?: string) =>
  as(token).POST('/api/v1/orders', {
    body,
    ...(idempotencyKey ? { params: { header: { 'Idempotency-Key': idempotencyKey } } } : {}),
  });
const getOrder = (token: string, orderId: string) => as(token).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } });
const listOrders = (token: string, query: NonNullable<paths['/api/v1/orders']['get']['parameters']['query']> = {}) =>
  as(token).GET('/api/v1/orders', { params: { query } });

describe('orders', () => {
  it('creates an order (201, Location, ETag) that reads back with its history', async () => {
    const created = await createOrder(tokens.client, newOrder({ title: `Create ${run}` }));
    expect(created.response.status).toBe(201);
    const order = created.data!;
    expect(order).toMatchObject({
      status: 'SUBMITTED',
      clientId: target.fixtures.clientId,
      requester: { userId: target.fixtures.clientUserId },
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
    const siteId = target.fixtures.siteIds[1] ?? target.fixtures.siteIds[0]!;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await createOrder(tokens.client, newOrder({ priority: 'P4', siteId, title: `Paging ${run} ${i}` }));
      ids.push(r.data!.id);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await listOrders(tokens.client, {
        priority: 'P4',
        siteId,
        limit: 2,
        ...(token ? { continuationToken: token } : {}),
      });
      expect(page.response.status).toBe(200);
      expect(page.data!.items.length).toBeLessThanOrEqual(2);
      expect(page.data!.items.every((o) => o.priority === 'P4' && o.siteId === siteId)).toBe(true);
      seen.push(...page.data!.items.map((o) => o.id));
      token = page.data!.continuationToken;
      pages++;
    } while (token && pages < 10);
    // Newest first: this run's orders lead; each order once across the pages.
    expect(seen.slice(0, ids.length)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    // On the fresh local stack they are the only ones.
    if (!target.remote) expect(seen).toEqual([...ids].reverse());
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
    const key = `key-${run}`;
    const title = `Idempotent create ${run}`;
    const body = newOrder({ title });
    const first = await createOrder(tokens.client, body, key);
    const second = await createOrder(tokens.client, body, key);
    expect(first.response.status).toBe(201);
    expect(second.response.status).toBe(201);
    expect(second.data).toEqual(first.data);
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    const list = await listOrders(tokens.client, { limit: 100 });
    expect(list.data!.items.filter((o) => o.title === title)).toHaveLength(1);

    const reused = await createOrder(tokens.client, { ...body, title: 'Other' }, key);
    expectProblem(reused, 422, 'idempotency-key-reused');
    // The same key from another user is another request.
    const other = await createOrder(tokens.operator, { ...body, clientId: target.fixtures.clientId }, key);
    expect(other.response.status).toBe(201);
    expect(other.data!.id).not.toBe(first.data!.id);
  });

  it('a provider may not create an order (403)', async () => {
    expectProblem(await createOrder(tokens.provider, newOrder({ clientId: target.fixtures.clientId })), 403, 'forbidden');
  });
});

describe('the caller’s profile', () => {
  it('me and preferences: ETag and If-Match (412 on a stale tag)', async () => {
    const me = await as(tokens.client).GET('/api/v1/me');
    expect(me.response.status).toBe(200);
    expect(me.data).toMatchObject({
      userId: target.fixtures.clientUserId,
      role: 'client',
      roles: ['client'],
      clientId: target.fixtures.clientId,
      stored: true,
    });
    const etag = me.response.headers.get('etag')!;
    // The other locale than the stored one: a deployment keeps what the last run set.
    const locale = me.data!.preferences.locale === 'en' ? 'es-CO' : 'en';
    const updated = await as(tokens.client).PUT('/api/v1/me/preferences', {
      params: { header: { 'If-Match': etag } },
      body: { channels: ['email', 'whatsapp'], locale },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data!.preferences).toEqual({ channels: ['email', 'whatsapp'], locale });
    expect(updated.response.headers.get('etag')).not.toBe(etag);
    const stale = await as(tokens.client).PUT('/api/v1/me/preferences', {
      params: { header: { 'If-Match': etag } },
      body: { channels: ['email'], locale: locale === 'en' ? 'es-CO' : 'en' },
    });
    expectProblem(stale, 412, 'precondition-failed');
    const after = await as(tokens.client).GET('/api/v1/me');
    expect(after.data!.preferences.locale).toBe(locale);
  });
});

describe('the dashboard client itself (client/index.ts)', () => {
  it('asks a token function before every request, and unwrap returns the data or throws the problem', async () => {
    let asked = 0;
    const api = createAlgestaClient({
      baseUrl: target.url,
      token: async () => {
        asked++;
        return tokens.client;
      },
    });
    const me = await unwrap(api.GET('/api/v1/me'));
    expect(me.userId).toBe(target.fixtures.clientUserId);
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
    const anonymous = createAlgestaClient({ baseUrl: target.url });
    expect((await anonymous.GET('/api/health')).response.status).toBe(200);
    await expect(unwrap(anonymous.GET('/api/v1/me'))).rejects.toMatchObject({
      status: 401,
      problem: { type: `${PROBLEM}unauthorized` },
    });
  });
});
