import { Validator } from '@seriousme/openapi-schema-validator';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateOrderBody } from '../../support/stack';
import { apiClient, orderBody, typedClients, type TypedClients } from '../../support/stack';
import { expectProblem, problemOf } from '../../support/problems';
import { testTarget, type TestTarget } from '../../support/target';

/**
 * The API's contract over HTTP — health, the OpenAPI document, correlation ids, problem answers — on
 * the target of `testTarget()`: the local stack under `npm test`, a deployed API under
 * `npm run test:e2e:remote` (docs/testing-remote.md). Only a URL, tokens and discovered fixtures.
 */
let target: TestTarget;
let raw: ReturnType<typeof apiClient>;
let as: TypedClients;

beforeAll(async () => {
  target = await testTarget();
  raw = apiClient(`${target.url}/api`);
  as = typedClients(target.url);
});
afterAll(async () => {
  await target?.dispose();
});

const newOrder = (extra: Partial<CreateOrderBody> = {}) => orderBody(target.fixtures.siteIds[0]!, extra);

describe('health and contract', () => {
  it('liveness names the running build (version and commit); readiness answers 200 with every check ok', async () => {
    const live = await as().GET('/api/health');
    expect(live.response.status).toBe(200);
    const { region, ...stamp } = live.data!;
    expect(stamp).toEqual({
      status: 'ok',
      version: expect.stringMatching(/\S/),
      commit: expect.stringMatching(/^(?:[0-9a-f]{7,40}|unknown)$/),
    });
    // Locally: the stamp of this checkout; remotely: what E2E_EXPECT_VERSION / E2E_EXPECT_COMMIT say.
    expect(stamp).toMatchObject(target.expectedBuild);
    // Set by infra in each region (ALGESTA_REGION); the embedded stack has none.
    expect(region === undefined || /^[a-z0-9]+$/.test(region)).toBe(true);
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
    expect(res.body).toEqual(JSON.parse(await readFile(join(__dirname, '../../../client/openapi.json'), 'utf8')));
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
  const listOrders = (token: string, query: { limit?: number; continuationToken?: string } = {}) =>
    as(token).GET('/api/v1/orders', { params: { query } });

  // Off the contract on purpose (raw): a route and a method the document does not list.
  it('404 for an unknown route', async () => {
    expectProblem(await raw('GET', '/v1/nothing-here', { token: target.tokens.operator }), 404, 'not-found');
  });

  it('405 with Allow for a known route and a wrong method', async () => {
    const res = await raw('DELETE', '/v1/orders', { token: target.tokens.operator });
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
    const token = target.tokens.client;
    expectProblem(
      await raw('POST', '/v1/orders', { token, rawBody: '{"title": ', headers: { 'content-type': 'application/json' } }),
      400,
      'malformed-json',
    );
    expectProblem(
      await raw('POST', '/v1/orders', {
        token,
        rawBody: 'title=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported-media-type',
    );
    const huge = JSON.stringify(newOrder({ description: 'x'.repeat(1024 * 1024 + 10) }));
    expectProblem(
      await raw('POST', '/v1/orders', { token, rawBody: huge, headers: { 'content-type': 'application/json' } }),
      413,
      'payload-too-large',
    );
  });

  it('400 with per-field errors for invalid input, and nothing is written', async () => {
    const before = await listOrders(target.tokens.client, { limit: 100 });
    // Raw on purpose: a body the schema forbids (the typed client would not compile it).
    const res = await raw('POST', '/v1/orders', {
      token: target.tokens.client,
      body: { siteId: target.fixtures.siteIds[0], category: 'gardening', priority: 'P9', title: '', extra: 1 },
    });
    expectProblem(res, 400, 'validation-error');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/body/category', '/body/priority', '/body/title', '/body/description']));
    const after = await listOrders(target.tokens.client, { limit: 100 });
    expect(after.data!.items.map((o) => o.id)).toEqual(before.data!.items.map((o) => o.id));
  });

  it('400 for an invalid query (limit over 100) and for a forged continuation token', async () => {
    expectProblem(await listOrders(target.tokens.client, { limit: 101 }), 400, 'validation-error');
    const forged = await listOrders(target.tokens.client, { continuationToken: 'bm90LWEtdG9rZW4' });
    expectProblem(forged, 400, 'validation-error');
    expect(problemOf(forged.error, 'validation-error').errors![0]!.pointer).toBe('/query/continuationToken');
  });

  it('422 for a business rule (unknown site)', async () => {
    const res = await as(target.tokens.client).POST('/api/v1/orders', {
      body: newOrder({ siteId: 'sit_00000000000000000000000099' }),
    });
    expectProblem(res, 422, 'unprocessable-entity');
    expect(problemOf(res.error, 'unprocessable-entity').errors![0]!.pointer).toBe('/body/siteId');
  });
});
