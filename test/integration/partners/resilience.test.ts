import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError, PartnerUnavailableError } from '../../../shared/application/integrations/errors';
import { partnerFetch } from '../../../shared/adapters/partners/partner-fetch';
import { parseRetryAfter } from '../../../shared/adapters/partners/resilience';
import { startHttpSandbox, type SandboxControls } from '../../../local/sandboxes/http-sandbox';
import { captureLogger, failure, fastPolicy, sleep } from './support';

/** The resilience policy and partnerFetch against a bare sandbox that answers `{ ok: true }`. */
let server: SandboxControls;
const SECRET = 'super-secret-token-value';

beforeAll(async () => {
  server = await startHttpSandbox({
    handle: (req) =>
      req.url.pathname === '/bad'
        ? { status: 422, json: { errorCode: 'INVALID_THING', message: 'no' } }
        : { status: 200, json: { ok: true, path: req.url.pathname } },
  });
});
afterAll(() => server.close());
afterEach(() => {
  server.recover();
  server.clearRequests();
});

const get = (path = '/thing') => ({
  operation: 'get thing',
  method: 'GET' as const,
  url: `${server.url}${path}`,
  headers: { authorization: `Bearer ${SECRET}` },
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('a 429 with Retry-After is retried after at least that long', async () => {
    server.failNext(1, 429, { retryAfterSeconds: 1 });
    const started = Date.now();
    const res = await partnerFetch(fastPolicy('test'), get());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(res.json()).toMatchObject({ ok: true });
    expect(server.requests.map((r) => r.outcome)).toEqual(['failed', 'handled']);
  });

  it('a Retry-After beyond the cap is not waited out: the call fails at once and later calls fail fast', async () => {
    server.failNext(1, 503, { retryAfterSeconds: 30 });
    const policy = fastPolicy('test', { maxRetryAfterMs: 2_000 });
    const err = await failure(partnerFetch(policy, get()));
    expect(err).toBeInstanceOf(PartnerUnavailableError);
    expect((err as PartnerUnavailableError).retryAfterMs).toBe(30_000);
    const again = await failure(partnerFetch(policy, get()));
    expect(again).toMatchObject({ reason: 'rate-limited' });
    expect((again as PartnerUnavailableError).retryAfterMs).toBeGreaterThan(25_000);
    expect(server.requests).toHaveLength(1);
  });
});

describe('classification and retries', () => {
  it('5xx is retried and then succeeds', async () => {
    server.failNext(2, 502);
    const res = await partnerFetch(fastPolicy('test'), get());
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(3);
  });

  it('5xx that persists ends as PartnerUnavailableError after the retries', async () => {
    server.failNext(10, 503);
    const err = await failure(partnerFetch(fastPolicy('test', { retries: 3 }), get()));
    expect(err).toBeInstanceOf(PartnerUnavailableError);
    expect(err).toMatchObject({ partner: 'test', operation: 'get thing', reason: 'server-error', status: 503 });
    expect(server.requests).toHaveLength(4);
  });

  it('408 counts as transient', async () => {
    server.failNext(1, 408);
    expect((await partnerFetch(fastPolicy('test'), get())).status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('4xx is a PartnerRejectedError with the partner body, never retried', async () => {
    const err = await failure(partnerFetch(fastPolicy('test'), get('/bad')));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 422, body: { errorCode: 'INVALID_THING' } });
    expect((err as Error).message).toContain('INVALID_THING');
    expect(server.requests).toHaveLength(1);
  });

  it('a declared answer status (404 on a lookup) is returned, not thrown', async () => {
    server.failNext(1, 404, { body: { error: 'asset-not-found' } });
    const res = await partnerFetch(fastPolicy('test'), { ...get(), accept: [404] });
    expect(res.status).toBe(404);
  });

  it('a hanging partner times out as PartnerUnavailableError(timeout)', async () => {
    server.hang(3_000);
    const err = await failure(partnerFetch(fastPolicy('test', { timeoutMs: 150, retries: 1 }), get()));
    expect(err).toMatchObject({ reason: 'timeout' });
    expect(server.requests).toHaveLength(2);
  });

  it('an unreachable partner is a network failure', async () => {
    const err = await failure(partnerFetch(fastPolicy('test', { retries: 0 }), { ...get(), url: 'http://127.0.0.1:1/x' }));
    expect(err).toMatchObject({ reason: 'network' });
  });

  it('secrets and auth headers are in no error message and no log line', async () => {
    const logger = captureLogger();
    server.failNext(5, 503);
    const err = await failure(partnerFetch(fastPolicy('test', { retries: 2 }, logger), get('/path?token=q')));
    const rejected = await failure(partnerFetch(fastPolicy('test', {}, logger), get('/bad')));
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const text of [...logger.lines, String(err), (err as Error).stack ?? '', String(rejected)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('token=q');
    }
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast while open, half-opens and closes after recovery', async () => {
    const policy = fastPolicy('test', { retries: 0, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 1_000 } });
    server.failNext(100, 503);
    for (let i = 0; i < 3; i++) await failure(partnerFetch(policy, get()));
    expect(policy.circuit()).toBe('open');

    const fast = await failure(partnerFetch(policy, get()));
    expect(fast).toMatchObject({ reason: 'circuit-open' });
    expect((fast as PartnerUnavailableError).retryAfterMs).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(3);

    server.recover();
    await sleep(1_100);
    expect((await partnerFetch(policy, get())).status).toBe(200);
    expect(policy.circuit()).toBe('closed');
    expect(server.requests).toHaveLength(4);
  });

  it('a failed trial call in half-open opens it again', async () => {
    const policy = fastPolicy('test', { retries: 0, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 200 } });
    server.failNext(100, 500);
    await failure(partnerFetch(policy, get()));
    await failure(partnerFetch(policy, get()));
    await sleep(250);
    await failure(partnerFetch(policy, get()));
    expect(policy.circuit()).toBe('open');
    expect(server.requests).toHaveLength(3);
  });

  it('rejections do not open the circuit: the partner is up', async () => {
    const policy = fastPolicy('test', { retries: 0, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 10_000 } });
    for (let i = 0; i < 4; i++) await failure(partnerFetch(policy, get('/bad')));
    expect(policy.circuit()).toBe('closed');
  });
});
