import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBus } from '../../local/bus/local-bus';
import { EMULATOR_KEY, startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { DEMO } from '../../local/seed';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { children, kill, startHost } from '../support/host-process';
import { allDeadLetters, apiClient } from '../support/stack';

/**
 * The database goes away for a while under the local host run as a child process (`npm start`'s
 * entry, its Cosmos here in the test process so that the test can stop it): the API answers 503
 * with `Retry-After` — never a 500 — and accepts nothing it cannot keep; when the database is back
 * (same port, same journal), everything accepted before is there, the API works again, and the
 * workflows that met the outage were retried, not parked.
 */
let dataDir: string;
let cosmos: EmbeddedCosmos;
let host: Awaited<ReturnType<typeof startHost>>;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-cosmos-outage-'));
  cosmos = await startEmbeddedCosmos({ dataDir: join(dataDir, 'external-cosmos') });
  host = await startHost(join(dataDir, 'host'), { COSMOS__accountEndpoint: cosmos.endpoint, COSMOS_KEY: cosmos.key });
  api = apiClient(`${host.url}/api`);
}, 120_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) await kill(c);
  await cosmos?.close();
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

const body = (title: string) => ({ siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'x' });

async function deadLetters() {
  const client = new CosmosClient({ endpoint: cosmos.endpoint, key: EMULATOR_KEY });
  try {
    return await allDeadLetters(
      createLocalBus({ container: client.database(CONTAINERS.bus.database).container(CONTAINERS.bus.id) }),
    );
  } finally {
    client.dispose();
  }
}

describe('the embedded Cosmos briefly unavailable', () => {
  it('answers 503 with Retry-After (not 500), accepts nothing, and keeps everything accepted before', async () => {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await api('POST', '/v1/orders', { token: host.tokens.client, body: body(`Antes ${i}`) });
      expect(r.status).toBe(201);
      before.push(r.body.id);
    }
    const port = Number(new URL(cosmos.endpoint).port);
    await cosmos.close();

    const read = await api('GET', `/v1/orders/${before[0]}`, { token: host.tokens.client });
    expect(read.status).toBe(503);
    expect(Number(read.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(read.body.type).toMatch(/unavailable$/);
    const write = await api('POST', '/v1/orders', { token: host.tokens.client, body: body('Durante') });
    expect(write.status).toBe(503);
    expect(write.headers.get('retry-after')).not.toBeNull();
    const ready = await api('GET', '/health/ready');
    expect(ready.status).toBe(503);

    cosmos = await startEmbeddedCosmos({ dataDir: join(dataDir, 'external-cosmos'), port });
    for (const id of before) {
      const back = await api('GET', `/v1/orders/${id}`, { token: host.tokens.client });
      expect(back.status, id).toBe(200);
    }
    const list = await api('GET', '/v1/orders?limit=100', { token: host.tokens.client });
    const titles = (list.body.items as { title: string }[]).map((o) => o.title);
    expect(titles).not.toContain('Durante'); // refused, so not half-written either
    expect((await api('POST', '/v1/orders', { token: host.tokens.client, body: body('Después') })).status).toBe(201);
    expect(await deadLetters()).toEqual([]);
  });
});
