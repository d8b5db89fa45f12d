import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { apiClient } from '../support/stack';
import { children, kill, startHost } from '../support/host-process';

/**
 * Durability through the real `npm start` entry: the local host runs as a child process, answers
 * writes, is killed with SIGKILL (no chance to flush anything), restarts on the same data folder,
 * and every answered write is read back.
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
    const api = apiClient(`${first.url}/api`);
    const created: { id: string; version: number; title: string }[] = [];
    // Concurrent writes: the kill lands right after the last answer, with others just acknowledged.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api('POST', '/v1/orders', {
          token: first.tokens.client,
          body: {
            siteId: DEMO.siteIds[i % 2],
            category: 'plumbing',
            priority: 'P3',
            title: `Kill test ${i}`,
            description: 'fuga',
          },
        }),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe(201);
      created.push({ id: r.body.id, version: r.body.version, title: r.body.title });
    }
    const prefs = await api('PUT', '/v1/me/preferences', {
      token: first.tokens.operator,
      body: { channels: ['whatsapp'], locale: 'en' },
    });
    expect(prefs.status).toBe(200);
    await kill(first.child);

    const second = await startHost(dataDir);
    const api2 = apiClient(`${second.url}/api`);
    for (const c of created) {
      const r = await api2('GET', `/v1/orders/${c.id}`, { token: second.tokens.client });
      expect(r.status).toBe(200);
      // The answered write, as answered (background steps may have amended it since: compared by version).
      expect(r.body).toMatchObject({ version: c.version, title: c.title });
    }
    const me = await api2('GET', '/v1/me', { token: second.tokens.operator });
    expect(me.body.preferences).toEqual({ channels: ['whatsapp'], locale: 'en' });
    // The demo data was not seeded twice, and the history survived too.
    const sites = await api2('GET', `/v1/clients/${DEMO.clientId}/sites`, { token: second.tokens.client });
    expect(sites.body.items).toHaveLength(2);
    const history = await api2('GET', `/v1/orders/${created[0]!.id}/history`, { token: second.tokens.client });
    expect(history.body.items).toHaveLength(1);
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
