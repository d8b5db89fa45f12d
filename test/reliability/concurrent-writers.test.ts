import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { apiClient, deadLetters, startTestStack } from '../support/stack';

/**
 * Twenty writers on one order at once, over HTTP: every accepted request's effect is in the
 * history exactly once, every refused one left no trace, and the order ends in a state the table
 * allows. Actions that can happen only once (check-in) have exactly one winner.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  t = stack.tokens;
});
afterAll(async () => {
  // Nothing the writers caused was parked on the way (checked before the stack goes).
  if (stack) expect(await deadLetters(stack)).toEqual([]);
  await stack?.dispose();
});

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
  const { lifecycleDeps } = await import('../../functions/http/deps');
  await contractSigned(await lifecycleDeps(), { correlationId: 'concurrency' }, DEMO.clientId, id);
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
