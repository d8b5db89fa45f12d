import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../shared/application/ports';
import { UnavailableError } from '../../shared/application/errors';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { handleHttp, type HttpPlatform } from '../../shared/platform/http/pipeline';
import { createLogger } from '../../shared/platform/logger';

class MemoryIdempotency implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();
  async claim(key: string, fingerprint: string, now: string) {
    if (this.records.has(key)) return false;
    this.records.set(key, { key, fingerprint, state: 'pending', createdAt: now });
    return true;
  }
  async get(key: string) {
    return this.records.get(key);
  }
  async complete(key: string, response: StoredResponse) {
    const r = this.records.get(key)!;
    this.records.set(key, { ...r, state: 'completed', response });
  }
  async release(key: string) {
    this.records.delete(key);
  }
}

function platform(lines: string[] = [], idem = new MemoryIdempotency()): HttpPlatform {
  return {
    logger: createLogger({ sink: (l) => lines.push(l) }),
    corsOrigins: [],
    verifyToken: async () => ({ userId: 'u1', role: 'operator' }),
    idempotency: async () => idem,
    now: () => new Date('2026-03-01T00:00:00Z'),
  };
}

const request = (init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
  new HttpRequest({
    method: init.method ?? 'POST',
    url: 'http://localhost/api/v1/things',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: { string: init.body } } : {}),
  });

describe('HTTP pipeline', () => {
  it('an unhandled exception is a 500 problem with the correlation id and no stack trace; the log has it', async () => {
    const lines: string[] = [];
    const boom = defineEndpoint({
      name: 'boom',
      method: 'GET',
      route: 'v1/boom',
      summary: 'throws',
      tags: [],
      auth: 'bearer',
      responses: {},
      handler: async () => {
        throw new Error('database password is hunter2');
      },
    });
    const res = await handleHttp(
      boom,
      request({ method: 'GET', headers: { 'x-correlation-id': 'c-500' } }),
      undefined,
      platform(lines),
    );
    expect(res.status).toBe(500);
    const body = JSON.parse(String(res.body));
    expect(body).toMatchObject({ type: 'https://api.algesta.co/problems/internal-error', status: 500, correlationId: 'c-500' });
    expect(String(res.body)).not.toContain('hunter2');
    expect(String(res.body)).not.toContain('at ');
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged.some((l) => l.level === 'error' && l.correlationId === 'c-500' && JSON.stringify(l).includes('hunter2'))).toBe(
      true,
    );
    expect(logged.every((l) => l.correlationId === 'c-500')).toBe(true);
  });

  it('a dependency outage is a 503 with Retry-After, not a 500', async () => {
    const down = defineEndpoint({
      name: 'down',
      method: 'GET',
      route: 'v1/down',
      summary: 'unavailable',
      tags: [],
      auth: 'bearer',
      responses: {},
      handler: async () => {
        throw new UnavailableError('the database is unavailable', 7);
      },
    });
    const res = await handleHttp(down, request({ method: 'GET' }), undefined, platform());
    expect(res.status).toBe(503);
    expect((res.headers as Record<string, string>)['retry-after']).toBe('7');
  });

  it('idempotent: runs once per key, replays the stored response, releases the key when the handler fails', async () => {
    let runs = 0;
    let fail = true;
    const create = defineEndpoint({
      name: 'things-create',
      method: 'POST',
      route: 'v1/things',
      summary: 'create',
      tags: [],
      auth: 'bearer',
      body: z.strictObject({ n: z.number() }),
      idempotent: true,
      responses: {},
      handler: async (ctx) => {
        runs++;
        if (fail) throw new UnavailableError('try later');
        return { status: 201, body: { n: ctx.body.n, run: runs } };
      },
    });
    const idem = new MemoryIdempotency();
    const p = platform([], idem);
    const send = (body: string) => handleHttp(create, request({ body, headers: { 'idempotency-key': 'k1' } }), undefined, p);

    expect((await send('{"n":1}')).status).toBe(503);
    expect(idem.records.size).toBe(0); // released: a retry may run
    fail = false;
    const first = await send('{"n":1}');
    const again = await send('{"n":1}');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toBe(first.body);
    expect((again.headers as Record<string, string>)['idempotent-replayed']).toBe('true');
    expect(runs).toBe(2);
    const other = await send('{"n":2}');
    expect(other.status).toBe(422);
    expect(runs).toBe(2);
  });

  it('a pending claim answers 409 in progress with Retry-After', async () => {
    const idem = new MemoryIdempotency();
    const p = platform([], idem);
    const slow = defineEndpoint({
      name: 'slow',
      method: 'POST',
      route: 'v1/slow',
      summary: 'slow',
      tags: [],
      auth: 'bearer',
      body: z.strictObject({}),
      idempotent: true,
      responses: {},
      handler: async () => ({ status: 201, body: {} }),
    });
    // Another instance holds the claim for the same key and body right now.
    const send = () => handleHttp(slow, request({ body: '{}', headers: { 'idempotency-key': 'k2' } }), undefined, p);
    const first = await send();
    const key = [...idem.records.keys()][0]!;
    idem.records.set(key, { ...idem.records.get(key)!, state: 'pending', createdAt: '2026-03-01T00:00:00Z' });
    delete (idem.records.get(key) as { response?: unknown }).response;
    expect(first.status).toBe(201);
    const second = await send();
    expect(second.status).toBe(409);
    expect((second.headers as Record<string, string>)['retry-after']).toBe('1');
  });
});
