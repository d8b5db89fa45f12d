import { createHmac, createPublicKey, randomUUID, type JsonWebKey } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, importJWK, generateKeyPair, type JWK } from 'jose';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import type { AnyEndpoint } from '../../shared/platform/http/endpoint';
import { startSecurityStack, writeSignal, type SecurityStack } from '../support/security/setup';
import { API_ACTIONS } from '../../shared/domain/orders/lifecycle';
import { CALLERS, ORDER_ACTION_SAMPLES, POLICY, fillRoute, type Caller } from './policy';

/**
 * The security suite, generated from the registered endpoints (the list the OpenAPI document is
 * built from): role × tenant matrix, tokens, and body fuzzing. See docs/quality.md.
 */
let s: SecurityStack;
beforeAll(async () => {
  s = await startSecurityStack();
}, 120_000);
afterAll(async () => {
  await s?.stack.dispose();
});

const bearer = () => s.endpoints.filter((e) => e.auth === 'bearer');
const key = () => randomUUID();

async function call(
  e: AnyEndpoint,
  token: string | undefined,
  opts: { body?: unknown; rawBody?: string; headers?: Record<string, string>; noFresh?: boolean } = {},
) {
  const p = POLICY[e.name]!;
  const f = opts.noFresh ? { ...s.fixtures, newOrder: async () => s.fixtures.orderId } : s.fixtures;
  const params = p.params ? await p.params(f) : {};
  const path = fillRoute(e.route.replace(/^v1\//, 'v1/'), params) + (p.query ?? '');
  const body = 'body' in opts ? opts.body : p.body?.(s.fixtures);
  return s.api(e.method, path, {
    ...(token ? { token } : {}),
    ...(opts.rawBody !== undefined ? { rawBody: opts.rawBody } : body !== undefined ? { body } : {}),
    headers: {
      ...(e.idempotent ? { 'idempotency-key': key() } : {}),
      ...(opts.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
  });
}

describe('coverage', () => {
  it('every registered endpoint has an access policy, and the OpenAPI document lists the same operations', async () => {
    const missing = s.endpoints.filter((e) => !POLICY[e.name]).map((e) => e.name);
    expect(missing, 'endpoints without an entry in test/security/policy.ts').toEqual([]);
    const stale = Object.keys(POLICY).filter((n) => !s.endpoints.some((e) => e.name === n));
    expect(stale, 'policy entries for endpoints that no longer exist').toEqual([]);
    const doc = await s.api('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    const ops = Object.values(doc.body.paths as Record<string, Record<string, { operationId?: string }>>).flatMap((p) =>
      Object.values(p).map((o) => o.operationId),
    );
    // An endpoint documented per value of a path parameter (the order actions) is one operation per value.
    for (const e of s.endpoints) {
      const expected = e.operationsPer ? Object.keys(e.operationsPer.values).map((v) => `${e.name}-${v}`) : [e.name];
      for (const id of expected) expect(ops, `OpenAPI operation ${id}`).toContain(id);
    }
  });
});

describe('role × tenant matrix', () => {
  it.each(Object.keys(POLICY).filter((n) => !POLICY[n]!.public))('%s', async (name) => {
    const e = s.endpoints.find((x) => x.name === name)!;
    expect(e, name).toBeDefined();
    const expected = POLICY[name]!.expect.split(' ').map(Number);
    expect(expected).toHaveLength(CALLERS.length);
    const observed: Record<string, number> = {};
    for (const caller of CALLERS) {
      const r = await call(e, s.tokens[caller]);
      observed[caller] = r.status;
      counts.matrix++;
      if (caller === 'client' || caller === 'provider' || caller === 'otherClient' || caller === 'otherProvider') {
        // Never another tenant's data: a DEMO-tenant caller never sees the other client's ids and
        // the other tenant never sees the DEMO client's.
        const foreign = caller.startsWith('other')
          ? [DEMO.clientId, s.fixtures.orderId, ...(caller === 'otherProvider' ? [DEMO.providerIds[0]] : [])]
          : [s.fixtures.otherClientId, s.fixtures.otherOrderId, ...(caller === 'provider' ? [DEMO.providerIds[1]] : [])];
        for (const id of foreign) expect(r.text, `${name} by ${caller} leaks ${id}`).not.toContain(id);
      }
    }
    expect(CALLERS.map((c) => observed[c]).join(' '), `${name}: ${CALLERS.join(' ')}`).toBe(expected.join(' '));
  });
});

const TOKEN_CASES = [
  'missing',
  'malformed',
  'expired',
  'not yet valid',
  'wrong issuer',
  'wrong audience',
  'alg none',
  'HS256 with the public key (PEM)',
  'HS256 with the public key (JWKS)',
  'signed by another key under the right kid',
  'unknown kid',
] as const;

describe('tokens', () => {
  let bad: Record<(typeof TOKEN_CASES)[number], string | undefined>;
  beforeAll(async () => {
    const dir = join(s.stack.dataDir, 'dev-issuer');
    const priv = JSON.parse(await readFile(join(dir, 'private.jwk.json'), 'utf8')) as JWK;
    const key = await importJWK(priv, priv.alg as string);
    const iss = process.env.AUTH_ISSUER!;
    const aud = process.env.AUTH_AUDIENCE!;
    const claims = { roles: ['admin'], name: 'Mallory' };
    const sign = (
      opts: { iss?: string; aud?: string; exp?: number; nbf?: number; kid?: string },
      k: Parameters<SignJWT['sign']>[0] = key,
    ) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: priv.alg as string, kid: opts.kid ?? (priv.kid as string), typ: 'JWT' })
        .setSubject('u-mallory')
        .setIssuer(opts.iss ?? iss)
        .setAudience(opts.aud ?? aud)
        .setIssuedAt(now - 7200)
        .setNotBefore(opts.nbf ?? now - 60)
        .setExpirationTime(opts.exp ?? now + 3600)
        .sign(k);
    };
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: 'u-mallory', roles: ['admin'], iss, aud, iat: now, nbf: now - 60, exp: now + 3600 };
    // Another key pair under the issuer's kid (a stranger's signature) and under an unknown kid.
    const { privateKey } = await generateKeyPair(priv.alg as string);
    // HS256 keyed with the public key, as JWKS text and as PEM (the algorithm-confusion attack).
    const publicJwk = Object.fromEntries(Object.entries(priv).filter(([k]) => !['d', 'p', 'q', 'dp', 'dq', 'qi'].includes(k)));
    const pem = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const jwksText = await readFile(join(dir, 'jwks.json'), 'utf8');
    const hs = (secret: string) => {
      const head = b64({ alg: 'HS256', kid: priv.kid, typ: 'JWT' });
      const body = b64(payload);
      return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
    };
    bad = {
      missing: undefined,
      malformed: 'not.a.jwt',
      expired: await sign({ exp: now - 120, nbf: now - 7200 }),
      'not yet valid': await sign({ nbf: now + 3600, exp: now + 7200 }),
      'wrong issuer': await sign({ iss: 'https://evil.example/' }),
      'wrong audience': await sign({ aud: 'api://someone-else' }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`,
      'HS256 with the public key (PEM)': hs(pem),
      'HS256 with the public key (JWKS)': hs(jwksText),
      'signed by another key under the right kid': await sign({}, privateKey),
      'unknown kid': await sign({ kid: 'unknown-kid' }, privateKey),
    };
  });

  it.each(TOKEN_CASES)('%s → 401 with WWW-Authenticate on every bearer endpoint, nothing written', async (c) => {
    const before = await writeSignal(s);
    for (const e of bearer()) {
      const token = bad[c];
      const r = await call(e, undefined, { noFresh: true, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
      expect(r.status, `${e.name} with ${c}: ${r.text}`).toBe(401);
      counts.tokens++;
      expect(r.headers.get('www-authenticate'), `${e.name} with ${c}`).toMatch(/^Bearer/i);
    }
    expect(await writeSignal(s)).toEqual(before);
  });
});

/** Invalid variants of a valid body, derived from the endpoint's zod schema (kept only if the schema refuses them). */
const HUGE = 'x'.repeat(200_000);
const deep = (n: number): string => '{"a":'.repeat(n) + '{}' + '}'.repeat(n);
const POLLUTION = ['__proto__', 'constructor', 'prototype'];
/** Bodies as raw JSON text (deep nesting is spliced in as text: no recursion in the generator). */
function mutation(sample: Record<string, unknown>) {
  return mutationValue(sample).map((v) =>
    JSON.stringify(v).replaceAll('"DEEP200"', deep(200)).replaceAll('"DEEP5000"', deep(5000)),
  );
}
function mutationValue(sample: Record<string, unknown>) {
  const keys = Object.keys(sample);
  const field = keys.length ? fc.constantFrom(...keys) : fc.constant('x');
  const wrong = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.constant(HUGE),
    fc.constant('DEEP200'),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  );
  return fc.oneof(
    fc
      .record({ kind: fc.constant('wrong type'), field, value: wrong })
      .map(({ field, value }) => ({ ...sample, [field]: value })),
    field.map((f) => {
      const copy = { ...sample };
      delete copy[f];
      return copy;
    }),
    fc
      .record({ k: fc.string({ minLength: 1, maxLength: 12 }), v: fc.jsonValue() })
      .map(({ k, v }) => ({ ...sample, [`x_${k}`]: v })),
    fc
      .constantFrom(...POLLUTION)
      .map(
        (p) =>
          JSON.parse(
            JSON.stringify({ ...sample, POLLUTE: { isAdmin: true, role: 'admin' } }).replace('"POLLUTE"', JSON.stringify(p)),
          ) as unknown,
      ),
    fc.constant('DEEP5000'),
    fc.jsonValue({ maxDepth: 3 }),
    wrong,
  );
}

const FUZZ_RUNS = 25;
const counts = { matrix: 0, tokens: 0, fuzz: 0 };
afterAll(() => {
  process.stdout.write(`security counts: ${JSON.stringify(counts)}\n`);
});
describe('request bodies fuzzed from their schemas', () => {
  const withBody = () => bearer().filter((e) => e.body || e.bodyFor);
  it('every endpoint with a body has a valid sample in the policy (so it is fuzzed)', () => {
    expect(
      withBody()
        .filter((e) => !POLICY[e.name]?.body)
        .map((e) => e.name),
    ).toEqual([]);
  });
  it.each(Object.keys(POLICY).filter((n) => POLICY[n]!.body))(
    '%s: invalid bodies → 4xx, never 500, nothing written',
    async (name) => {
      const e = s.endpoints.find((x) => x.name === name)!;
      const p = POLICY[name]!;
      const allowed = CALLERS[p.expect.split(' ').findIndex((x) => x.startsWith('2') || x === '409')]! as Caller;
      const params = p.params ? await p.params(s.fixtures) : {};
      await fuzzBody(name, e, params, p.body!(s.fixtures) as Record<string, unknown>, allowed);
    },
  );
  // `orders-action` has a schema per action: each one is fuzzed from its own valid sample, on an
  // order the operator may act on (a body is refused before any rule of the order is looked at).
  it.each(API_ACTIONS)('orders-action %s: invalid bodies → 4xx, never 500, nothing written', async (action) => {
    const e = s.endpoints.find((x) => x.name === 'orders-action')!;
    await fuzzBody(
      `orders-action ${action}`,
      e,
      { orderId: s.fixtures.orderId, action },
      ORDER_ACTION_SAMPLES[action](),
      'operator',
    );
  });
});

/** Sends mutations of a valid sample that the endpoint's schema refuses; none may pass or fail with 5xx. */
async function fuzzBody(
  label: string,
  e: AnyEndpoint,
  params: Record<string, string>,
  sample: Record<string, unknown>,
  caller: Caller,
): Promise<void> {
  const schema = e.bodyFor ? e.bodyFor(params) : e.body!;
  expect(schema.safeParse(sample).success, `${label}: the sample itself must be valid`).toBe(true);
  const before = await writeSignal(s);
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(mutation(sample), async (raw) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && schema.safeParse(parsed).success) return; // still valid: not a bad input
      tried++;
      const r = await s.api(e.method, fillRoute(e.route, params), {
        token: s.tokens[caller],
        rawBody: raw,
        headers: { 'content-type': 'application/json', ...(e.idempotent ? { 'idempotency-key': key() } : {}) },
      });
      expect(r.status, `${label} ${raw.slice(0, 200)} → ${r.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${label} ${raw.slice(0, 200)} → ${r.text.slice(0, 300)}`).toBeLessThan(500);
    }),
    { numRuns: FUZZ_RUNS, seed: 20261122 },
  );
  expect(tried).toBeGreaterThan(0);
  counts.fuzz += tried;
  expect(await writeSignal(s), `${label}: a refused body wrote something`).toEqual(before);
  expect(({} as Record<string, unknown>).isAdmin, 'prototype polluted').toBeUndefined();
}
