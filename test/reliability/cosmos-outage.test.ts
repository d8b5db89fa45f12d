import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { DEMO } from '../../local/seed';
import { apiClient, deadLetters, startTestStack } from '../support/stack';

/**
 * The database goes away for a while: the API answers 503 with `Retry-After` — never a 500 — and
 * accepts nothing it cannot keep; when the database is back (same port, same journal), everything
 * accepted before is there and the API works again.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let restarted: EmbeddedCosmos | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
});
afterAll(async () => {
  await restarted?.close();
  await stack?.dispose();
});

const body = (title: string) => ({ siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'x' });

describe('the embedded Cosmos briefly unavailable', () => {
  it('answers 503 with Retry-After (not 500), accepts nothing, and keeps everything accepted before', async () => {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await api('POST', '/v1/orders', { token: stack.tokens.client, body: body(`Antes ${i}`) });
      expect(r.status).toBe(201);
      before.push(r.body.id);
    }
    const cosmos = stack.services.cosmos!;
    const port = Number(new URL(cosmos.endpoint).port);
    await cosmos.close();

    const read = await api('GET', `/v1/orders/${before[0]}`, { token: stack.tokens.client });
    expect(read.status).toBe(503);
    expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(read.body.type).toMatch(/unavailable$/);
    const write = await api('POST', '/v1/orders', { token: stack.tokens.client, body: body('Durante') });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).not.toBeNull();
    const ready = await api('GET', '/health/ready');
    expect(ready.status).toBe(503);

    restarted = await startEmbeddedCosmos({ dataDir: join(stack.dataDir, 'cosmos'), port });
    for (const id of before) {
      const back = await api('GET', `/v1/orders/${id}`, { token: stack.tokens.client });
      expect(back.status, id).toBe(200);
    }
    const list = await api('GET', '/v1/orders?limit=100', { token: stack.tokens.client });
    const titles = (list.body.items as { title: string }[]).map((o) => o.title);
    expect(titles).not.toContain('Durante'); // refused, so not half-written either
    expect((await api('POST', '/v1/orders', { token: stack.tokens.client, body: body('Después') })).status).toBe(201);
    // The workflows that met the outage were retried, not parked.
    expect(await deadLetters(stack)).toEqual([]);
  });
});
