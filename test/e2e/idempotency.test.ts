import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredEndpoints } from '../../functions/http/register';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { makeId } from '../../shared/domain/shared/ids';
import { ulid } from '../../shared/platform/ids';
import { POLICY, type Fixtures } from '../security/policy';
import { apiClient, startTestStack } from '../support/stack';

/**
 * Every endpoint that takes an `Idempotency-Key` (docs/api.md, Idempotency) keeps one promise: what
 * a request creates is created once, however often it is sent, and every attempt answers it. The
 * crash case is in test/e2e/crash.test.ts; here each endpoint, found among the registered ones:
 * a retry answers the first attempt's resource (201, `Idempotent-Replayed: true`, the same body,
 * ETag and Location), concurrent duplicates make one resource, another body with the key is a 422.
 * Raw HTTP (`apiClient`), not the typed client: the endpoints and their sample bodies come from the
 * registrations and the security policy's table at run time, not from calls the compiler could check.
 */
const PROBLEM = 'https://api.algesta.co/problems/';
/** The tested endpoints, each with another valid body (a changed name or title). */
const OTHER_BODY: Record<string, (b: Record<string, unknown>) => Record<string, unknown>> = {
  'clients-create': (b) => ({ ...b, name: `${String(b.name)} bis` }),
  'sites-create': (b) => ({ ...b, name: `${String(b.name)} bis` }),
  'orders-create': (b) => ({ ...b, title: `${String(b.title)} bis` }),
  'providers-create': (b) => ({ ...b, legalName: `${String(b.legalName)} bis` }),
  'client-webhooks-create': (b) => ({ ...b, description: `${String(b.description ?? 'ERP')} bis` }),
  'plans-create': (b) => ({ ...b, title: `${String(b.title)} bis` }),
};
const TESTED = Object.keys(OTHER_BODY);

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
});
afterAll(async () => {
  await stack?.dispose();
});

let n = 0;
const newKey = () => `idem-${Date.now().toString(36)}-${++n}`;
const fixtures = {} as Fixtures; // the creates' samples need none

async function pathOf(name: string): Promise<{ method: string; path: string }> {
  const e = registeredEndpoints().find((x) => x.name === name)!;
  const params = (await POLICY[name]!.params?.(fixtures)) ?? {};
  const path = e.route.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(params[p]!)).replace(/^v1\//, '/v1/');
  return { method: e.method, path };
}

describe('idempotent creates', () => {
  it('the endpoints that take Idempotency-Key are the ones tested here', () => {
    const idempotent = registeredEndpoints()
      .filter((e) => e.idempotent)
      .map((e) => e.name);
    expect(idempotent.sort()).toEqual([...TESTED].sort());
  });

  it.each(TESTED)('%s: a retry answers the first resource, duplicates make one, another body is 422', async (name) => {
    const { method, path } = await pathOf(name);
    const token = stack.tokens.admin;
    const send = (key: string, body: unknown) => api(method, path, { token, body, headers: { 'idempotency-key': key } });

    const key = newKey();
    const body = POLICY[name]!.body!(fixtures) as Record<string, unknown>;
    const first = await send(key, body);
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await send(key, body);
    expect(again.status, again.text).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(again.headers.get('location')).toBe(first.headers.get('location'));

    // Six at once with a new key: one resource; one answer made it, the five others answer it.
    const key2 = newKey();
    const body2 = POLICY[name]!.body!(fixtures);
    const burst = await Promise.all(Array.from({ length: 6 }, () => send(key2, body2)));
    expect(burst.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(burst.filter((r) => r.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(burst[0]!.body.id).not.toBe(first.body.id);

    const reused = await send(key, OTHER_BODY[name]!(body));
    expect(reused.status, reused.text).toBe(422);
    expect(reused.body.type).toBe(`${PROBLEM}idempotency-key-reused`);
  });

  it('a refused attempt leaves no answer behind: the retry runs again; the key stays bound to its request', async () => {
    const token = stack.tokens.admin;
    const key = newKey();
    // A site of a client that does not exist: 404, and again 404 when retried (nothing was remembered
    // as the answer); the same key for a site of an existing client is another request: 422.
    const ghost = makeId('client', ulid());
    const site = { name: 'Sede', address: 'Calle 1 # 2-3', city: 'Bogotá' };
    const refused = await api('POST', `/v1/clients/${ghost}/sites`, { token, body: site, headers: { 'idempotency-key': key } });
    expect(refused.status).toBe(404);
    const retried = await api('POST', `/v1/clients/${ghost}/sites`, { token, body: site, headers: { 'idempotency-key': key } });
    expect(retried.status).toBe(404);
    const elsewhere = await api('POST', `/v1/clients/${DEMO.clientId}/sites`, {
      token,
      body: site,
      headers: { 'idempotency-key': key },
    });
    expect(elsewhere.status).toBe(422);
  });

  it('self-registration (the company id is the token’s): a retry answers the registration, another key is 409', async () => {
    const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
    const providerId = makeId('provider', ulid());
    const token = await issuer.mint(
      { sub: `usr-self-${providerId}`, role: 'provider', providerId, name: 'Dueña' },
      { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' },
    );
    const body = POLICY['providers-create']!.body!(fixtures);
    const send = (key: string) => api('POST', '/v1/providers', { token, body, headers: { 'idempotency-key': key } });
    const key = newKey();
    const first = await send(key);
    expect(first.status, first.text).toBe(201);
    expect(first.body.id).toBe(providerId);
    const again = await send(key);
    expect(again.status, again.text).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const otherKey = await send(newKey());
    expect(otherKey.status).toBe(409);
  });

  it('the same key from another caller is another request', async () => {
    const key = newKey();
    const body = { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Otra persona', description: 'x' };
    const mine = await api('POST', '/v1/orders', { token: stack.tokens.client, body, headers: { 'idempotency-key': key } });
    const theirs = await api('POST', '/v1/orders', {
      token: stack.tokens.operator,
      body: { ...body, clientId: DEMO.clientId },
      headers: { 'idempotency-key': key },
    });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });
});
