import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from '../../shared/application/ports';
import { UnavailableError } from '../../shared/application/errors';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { handleHttp, type HttpPlatform } from '../../shared/platform/http/pipeline';
import { ulid } from '../../shared/platform/ids';
import { createLogger } from '../../shared/platform/logger';

class MemoryIdempotency implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();
  async claim(key: string, fingerprint: string, now: string) {
    if (this.records.has(key)) return false;
    this.records.set(key, { key, fingerprint, createdAt: now });
    return true;
  }
  async get(key: string) {
    return this.records.get(key);
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

  /**
   * A create endpoint over a store that refuses an existing id, as Cosmos does: what the handler
   * must do with `ctx.idempotency` (shared/application/idempotency.ts does it for the use cases).
   */
  function thingsEndpoint(opts: { fail?: () => boolean; beforeWrite?: () => Promise<void> } = {}) {
    const things = new Map<string, { id: string; n: number }>();
    const ulids: string[] = [];
    let writes = 0;
    const endpoint = defineEndpoint({
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
        if (opts.fail?.()) throw new UnavailableError('try later');
        const id = `thg_${ctx.idempotency?.ulid ?? `random${things.size}`}`;
        ulids.push(ctx.idempotency?.ulid ?? '');
        await opts.beforeWrite?.();
        const existing = things.get(id);
        if (existing) return { status: 201, body: existing, etag: 'e1', replayed: true };
        things.set(id, { id, n: ctx.body.n });
        writes++;
        return { status: 201, body: things.get(id), etag: 'e1' };
      },
    });
    return { endpoint, things, ulids, writes: () => writes };
  }

  it('idempotent: every attempt of one request names the same ULID; a retry answers the first effect, marked replayed', async () => {
    let fail = true;
    const t = thingsEndpoint({ fail: () => fail });
    const idem = new MemoryIdempotency();
    const p = platform([], idem);
    const send = (body: string, key = 'k1') =>
      handleHttp(t.endpoint, request({ body, headers: { 'idempotency-key': key } }), undefined, p);

    expect((await send('{"n":1}')).status).toBe(503);
    // The key stays bound to its body; nothing else is remembered, so the retry runs again.
    expect(idem.records.size).toBe(1);
    fail = false;
    const first = await send('{"n":1}');
    const again = await send('{"n":1}');
    expect(first.status).toBe(201);
    expect((first.headers as Record<string, string>)['idempotent-replayed']).toBeUndefined();
    expect(again.status).toBe(201);
    expect(again.body).toBe(first.body);
    expect((again.headers as Record<string, string>)['etag']).toBe((first.headers as Record<string, string>)['etag']);
    expect((again.headers as Record<string, string>)['idempotent-replayed']).toBe('true');
    expect(t.writes()).toBe(1);
    expect(new Set(t.ulids).size).toBe(1);
    // A ULID: its time is the key's first use (the 503 attempt), the rest comes from the key.
    expect(t.ulids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(t.ulids[0]!.slice(0, 10)).toBe(ulid(Date.parse('2026-03-01T00:00:00Z')).slice(0, 10));

    expect((await send('{"n":2}')).status).toBe(422);
    expect(t.writes()).toBe(1);
    // Another key is another request: another ULID.
    expect((await send('{"n":1}', 'k2')).status).toBe(201);
    expect(t.writes()).toBe(2);
    expect(new Set(t.ulids).size).toBe(2);
  });

  it('no window: a retry long after a first attempt that died still names the same ULID (never a second effect)', async () => {
    const t = thingsEndpoint();
    const idem = new MemoryIdempotency();
    let now = new Date('2026-03-01T00:00:00Z');
    const p = { ...platform([], idem), now: () => now };
    const send = () => handleHttp(t.endpoint, request({ body: '{"n":1}', headers: { 'idempotency-key': 'k3' } }), undefined, p);
    expect((await send()).status).toBe(201);
    // The first answer was lost; the client retries 10 minutes later (the old mechanism retook the key after 60 s).
    now = new Date('2026-03-01T00:10:00Z');
    const retry = await send();
    expect(retry.status).toBe(201);
    expect((retry.headers as Record<string, string>)['idempotent-replayed']).toBe('true');
    expect(t.writes()).toBe(1);
  });

  it('concurrent duplicates all run, with the same ULID: one effect, the others answer it as replays', async () => {
    const t = thingsEndpoint({ beforeWrite: () => new Promise((r) => setTimeout(r, 5)) });
    const p = platform([], new MemoryIdempotency());
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        handleHttp(t.endpoint, request({ body: '{"n":1}', headers: { 'idempotency-key': 'k4' } }), undefined, p),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers.filter((a) => (a.headers as Record<string, string>)['idempotent-replayed'] === 'true')).toHaveLength(4);
    expect(t.writes()).toBe(1);
  });

  it('a record written before derived ids replays its stored answer', async () => {
    const t = thingsEndpoint();
    const idem = new MemoryIdempotency();
    const p = platform([], idem);
    const send = () => handleHttp(t.endpoint, request({ body: '{"n":1}', headers: { 'idempotency-key': 'k5' } }), undefined, p);
    const first = await send();
    const key = [...idem.records.keys()][0]!;
    const stored: StoredResponse = { status: 201, headers: { etag: '"old"' }, body: '{"id":"thg_old"}' };
    idem.records.set(key, { ...idem.records.get(key)!, response: stored });
    const again = await send();
    expect(first.status).toBe(201);
    expect(again.body).toBe('{"id":"thg_old"}');
    expect((again.headers as Record<string, string>)['idempotent-replayed']).toBe('true');
  });
});
