import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { children, deadLettersOf, kill, runningStack, startHost } from '../support/host-process';
import { apiClient, eventually } from '../support/stack';

/**
 * Twenty writers on one order at once, over HTTP to the local host run as a child process (`npm
 * start`'s entry): every accepted request's effect is in the history exactly once, every refused one
 * left no trace, and the order ends in a state the table allows. Actions that can happen only once
 * (check-in) have exactly one winner. The contract is signed on the DocuSign sandbox's page, as a
 * person would.
 */
let dataDir: string;
let host: Awaited<ReturnType<typeof startHost>>;
let api: ReturnType<typeof apiClient>;
let t: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-writers-'));
  host = await startHost(dataDir);
  api = apiClient(`${host.url}/api`);
  t = host.tokens;
}, 120_000);
afterAll(async () => {
  // Nothing the writers caused was parked on the way (read as an operator would, while it runs).
  if (host) expect(await deadLettersOf(dataDir)).toEqual([]);
  for (const c of children) if (c.exitCode === null) await kill(c);
  await rm(dataDir, { recursive: true, force: true });
}, 60_000);

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

async function scheduledOrder(): Promise<string> {
  const r = await api('POST', '/v1/orders', {
    token: t.client,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Concurrencia', description: 'x' },
  });
  const id = r.body.id as string;
  await api('POST', `/v1/orders/${id}/actions/triage`, { token: t.operator });
  await api('POST', `/v1/orders/${id}/actions/assign`, {
    token: t.operator,
    body: { providerId: DEMO.providerIds[0], amount: { amount: 100_000_00, currency: 'COP' } },
  });
  const envelopeId = await eventually(
    async () => (await api('GET', `/v1/orders/${id}`, { token: t.operator })).body.contract?.envelopeId as string | undefined,
  );
  const { sandboxes } = await runningStack(dataDir);
  const signed = await fetch(`${sandboxes!.docusign}/sandbox/sign/${envelopeId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'action=sign',
  });
  expect(signed.status).toBe(200);
  await eventually(async () =>
    (await api('GET', `/v1/orders/${id}`, { token: t.operator })).body.status === 'SCHEDULED' ? true : undefined,
  );
  return id;
}

const history = async (id: string) =>
  (await api('GET', `/v1/orders/${id}/history?limit=100`, { token: t.operator })).body.items as {
    action: string;
    details?: { visitAt?: string };
  }[];

describe('20 concurrent writers on one order', () => {
  it('twenty reschedules: each accepted one is in the history once, the refused ones nowhere, the last write is the order', async () => {
    const id = await scheduledOrder();
    const before = (await history(id)).length;
    const visits = Array.from({ length: 20 }, (_, i) => inHours(24 + i));
    const answers = await Promise.all(
      visits.map((visitAt) => api('POST', `/v1/orders/${id}/actions/schedule`, { token: t.provider, body: { visitAt } })),
    );
    for (const a of answers) expect([200, 412]).toContain(a.status); // a lost race after retries is a 412, never a 500
    const accepted = answers.filter((a) => a.status === 200);
    expect(accepted.length).toBeGreaterThan(0);
    const entries = (await history(id)).slice(before);
    expect(entries).toHaveLength(accepted.length);
    expect(entries.every((h) => h.action === 'schedule')).toBe(true);
    const order = (await api('GET', `/v1/orders/${id}`, { token: t.operator })).body;
    expect(order.version).toBe(before + accepted.length);
    // The order carries the visit of the write that was committed last.
    expect(accepted.map((a) => a.body.version)).toContain(order.version);
    expect(order.visitAt).toBe(accepted.find((a) => a.body.version === order.version)!.body.visitAt);
  });

  it('twenty check-ins: exactly one wins, the others are told the order moved on (409) or lost the race (412)', async () => {
    const id = await scheduledOrder();
    await api('POST', `/v1/orders/${id}/actions/schedule`, { token: t.provider, body: { visitAt: inHours(2) } });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api('POST', `/v1/orders/${id}/actions/check-in`, { token: t.provider })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expect([409, 412]).toContain(a.status);
    expect((await history(id)).filter((h) => h.action === 'check-in')).toHaveLength(1);
    expect((await api('GET', `/v1/orders/${id}`, { token: t.operator })).body.status).toBe('IN_PROGRESS');
  });
});
