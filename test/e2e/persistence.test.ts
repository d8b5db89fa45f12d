import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { createAlgestaClient } from '../../client';
import { children, kill, startHost } from '../support/host-process';

/**
 * Durability through the real `npm start` entry: the local host runs as a child process, answers
 * writes, is killed with SIGKILL (no chance to flush anything), restarts on the same data folder,
 * and every answered write is read back. The API through the typed client.
 */
let dataDir: string;

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('persistence across SIGKILL', () => {
  it('every answered write is read back after a kill and restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-kill-'));
    const first = await startHost(dataDir);
    const asClient = createAlgestaClient({ baseUrl: first.url, token: first.tokens.client });
    const created: { id: string; version: number; title: string }[] = [];
    // Concurrent writes: the kill lands right after the last answer, with others just acknowledged.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        asClient.POST('/api/v1/orders', {
          body: {
            siteId: DEMO.siteIds[i % 2]!,
            category: 'plumbing',
            priority: 'P3',
            title: `Kill test ${i}`,
            description: 'fuga',
          },
        }),
      ),
    );
    for (const r of results) {
      expect(r.response.status).toBe(201);
      created.push({ id: r.data!.id, version: r.data!.version, title: r.data!.title });
    }
    const prefs = await createAlgestaClient({ baseUrl: first.url, token: first.tokens.operator }).PUT('/api/v1/me/preferences', {
      body: { channels: ['whatsapp'], locale: 'en' },
    });
    expect(prefs.response.status).toBe(200);
    await kill(first.child);

    const second = await startHost(dataDir);
    const client2 = createAlgestaClient({ baseUrl: second.url, token: second.tokens.client });
    for (const c of created) {
      const r = await client2.GET('/api/v1/orders/{orderId}', { params: { path: { orderId: c.id } } });
      expect(r.response.status).toBe(200);
      // The answered write, as answered (background steps may have amended it since: compared by version).
      expect(r.data).toMatchObject({ version: c.version, title: c.title });
    }
    const me = await createAlgestaClient({ baseUrl: second.url, token: second.tokens.operator }).GET('/api/v1/me');
    expect(me.data!.preferences).toEqual({ channels: ['whatsapp'], locale: 'en' });
    // The demo data was not seeded twice, and the history survived too.
    const sites = await client2.GET('/api/v1/clients/{clientId}/sites', { params: { path: { clientId: DEMO.clientId } } });
    expect(sites.data!.items).toHaveLength(2);
    const history = await client2.GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: created[0]!.id } } });
    expect(history.data!.items).toHaveLength(1);
    await kill(second.child);
  });
});

describe('one stack per data folder', () => {
  it('a second start on a folder in use fails with a clear message; a killed owner’s lock is taken over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'algesta-lock-'));
    try {
      const first = await startHost(dir);
      await expect(startHost(dir)).rejects.toThrow(/in use by process/);
      await kill(first.child);
      const again = await startHost(dir);
      expect((await fetch(`${again.url}/api/health/ready`)).status).toBe(200);
      await kill(again.child);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
