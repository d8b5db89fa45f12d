import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { DEMO, DEMO_APPROVAL_CHAIN } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import {
  apiClient,
  eventually,
  orderActions,
  readOrder,
  refusedActions,
  startTestStack,
  storedAttachment,
  typedClients,
} from '../support/stack';

/**
 * Approval chains and NTE increases over HTTP on the local stack (issue 17), with the seeded second
 * client (DEMO.chainClient: site manager up to 2,000,000 COP, finance above). The escalation is a
 * scheduled message of the real bus: the process clock starts on a Tuesday at 10:00 in Bogotá (inside
 * business hours, whatever day the suite runs) and is moved past the due time, as a waiting hour would.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let refused: ReturnType<typeof refusedActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let siteManager: string;
let finance: string;

const { clientId, siteId, users } = DEMO.chainClient;
const cop = (pesos: number) => ({ amount: pesos * 100, currency: 'COP' });
/** The seeded chain as a request body (the API's body type is mutable; the seed's is not). */
const SEEDED = {
  tiers: [
    { id: 'site-manager', name: 'Jefe de sede', upTo: cop(2_000_000) },
    { id: 'finance', name: 'Finanzas' },
  ],
  escalateAfterBusinessHours: 8,
};

beforeAll(async () => {
  // Only Date is replaced, and it keeps running; timers stay real (the bus polls on them).
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: new Date('2026-03-03T15:00:00.000Z') });
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  refused = refusedActions(as);
  t = stack.tokens;
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  const mint = (sub: string) =>
    issuer.mint({ sub, role: 'client', clientId, name: sub } as Parameters<typeof issuer.mint>[0], {
      issuer: process.env.AUTH_ISSUER!,
      audience: process.env.AUTH_AUDIENCE!,
      expiresIn: '8h',
    });
  [siteManager, finance] = await Promise.all([mint(users.siteManager), mint(users.finance)]);
});
afterAll(async () => {
  await stack?.dispose();
  vi.useRealTimers();
});

async function assigned(pesos: number): Promise<string> {
  const created = await as(siteManager).POST('/api/v1/orders', {
    body: { siteId, category: 'hvac', priority: 'P3', title: 'Cuarto frío sin enfriar', description: 'Desde anoche' },
  });
  expect(created.response.status, JSON.stringify(created.error)).toBe(201);
  const id = created.data!.id;
  await act(id, 'triage', t.operator);
  await act(id, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: cop(pesos) });
  return id;
}

const history = async (id: string) =>
  (await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId: id } } })).data!.items;

describe('the approval chain over HTTP', () => {
  it('configuration: the seeded chain is on GET client; a bad one is a 400 with field errors and changes nothing', async () => {
    const client = await as(t.operator).GET('/api/v1/clients/{clientId}', { params: { path: { clientId } } });
    expect(client.data!.approvalChain).toEqual(DEMO_APPROVAL_CHAIN);
    expect(SEEDED).toEqual(DEMO_APPROVAL_CHAIN);
    const overlapping = {
      tiers: [
        { id: 'site-manager', name: 'Jefe', upTo: cop(2_000_000) },
        { id: 'regional', name: 'Regional', upTo: cop(1_000_000) },
        { id: 'finance', name: 'Finanzas' },
      ],
      escalateAfterBusinessHours: 0,
    };
    const bad = await api('PUT', `/v1/clients/${clientId}/approval-chain`, { token: t.operator, body: overlapping });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual([
      '/body/tiers/1/upTo',
      '/body/escalateAfterBusinessHours',
    ]);
    const after = await as(t.operator).GET('/api/v1/clients/{clientId}', { params: { path: { clientId } } });
    expect(after.data!.approvalChain).toEqual(DEMO_APPROVAL_CHAIN);
    // A client user may not configure it (403); another client's user does not see the client (404).
    const put = (token: string) =>
      as(token).PUT('/api/v1/clients/{clientId}/approval-chain', { params: { path: { clientId } }, body: SEEDED });
    expect((await put(finance)).response.status).toBe(403);
    expect((await put(t.client)).response.status).toBe(404);
  });

  it('a two-tier approval: the site manager records, finance completes; the chain is on the order and in its history', async () => {
    const id = await assigned(5_000_000);
    const waiting = await readOrder(as, siteManager, id);
    expect(waiting.status).toBe('AWAITING_APPROVAL');
    expect(waiting.approval).toMatchObject({ subject: 'assignment', currentTier: 0, requiredTier: 1 });
    const partial = await act(id, 'approve', siteManager);
    expect(partial.status).toBe('AWAITING_APPROVAL');
    expect(partial.approval!.approvals).toEqual([expect.objectContaining({ tierId: 'site-manager', userId: users.siteManager })]);
    // The other client's user does not see the order at all.
    await refused(id, 'approve', t.client, 404);
    const done = await act(id, 'approve', finance);
    expect(done.status).toBe('CONTRACTING');
    const approvals = (await history(id)).filter((h) => h.action === 'approve');
    expect(approvals.map((h) => [h.from, h.to])).toEqual([
      ['AWAITING_APPROVAL', 'AWAITING_APPROVAL'],
      ['AWAITING_APPROVAL', 'CONTRACTING'],
    ]);
    expect(approvals[1]!.details).toMatchObject({ approval: { outcome: 'approved' } });
  });

  it('a tier that does not answer escalates at its due time (a scheduled message) and finance is notified', async () => {
    // One business hour for this test's chain, so that the clock moves one hour, not eight.
    const quick = { ...SEEDED, escalateAfterBusinessHours: 1 };
    const put = await as(t.operator).PUT('/api/v1/clients/{clientId}/approval-chain', {
      params: { path: { clientId } },
      body: quick,
    });
    expect(put.response.status, JSON.stringify(put.error)).toBe(200);
    const id = await assigned(5_000_000);
    const dueAt = (await readOrder(as, t.operator, id)).approval!.dueAt!;
    vi.setSystemTime(new Date(Date.parse(dueAt) + 1_000));
    const escalated = await eventually(async () => {
      const o = await readOrder(as, t.operator, id);
      return o.approval?.escalations.length ? o : undefined;
    });
    expect(escalated.status).toBe('AWAITING_APPROVAL');
    expect(escalated.approval).toMatchObject({
      currentTier: 1,
      escalations: [expect.objectContaining({ fromTierId: 'site-manager', toTierId: 'finance' })],
    });
    expect((await history(id)).find((h) => h.action === 'escalate-approval')!.by).toEqual({ userId: 'system', role: 'system' });
    const told = await eventually(async () => {
      const list = await as(finance).GET('/api/v1/notifications', {});
      return list.data!.items.find((n) => n.orderId === id && n.template === 'approval-escalated');
    });
    expect(told.recipientUserId).toBe(users.finance);
    // The site manager was passed over; finance approves.
    await refused(id, 'approve', siteManager, 403);
    expect((await act(id, 'approve', finance)).status).toBe('CONTRACTING');
    await as(t.operator).PUT('/api/v1/clients/{clientId}/approval-chain', {
      params: { path: { clientId } },
      body: SEEDED,
    });
  });

  it('an NTE increase: requested with evidence, approved through the chain, then invoiced above the old NTE', async () => {
    const id = await assigned(1_500_000);
    await act(id, 'approve', siteManager);
    const { lifecycleDeps } = await import('../../functions/wiring');
    await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, clientId, id);
    await act(id, 'schedule', t.provider, { visitAt: new Date(Date.now() + 3_600_000).toISOString() });
    await act(id, 'check-in', t.provider);
    const photo = await storedAttachment(as, t.provider, id, { kind: 'photo', fileName: 'compresor.png' });
    // Nothing to approve before the provider asks.
    const increase = { amount: cop(3_000_000), reason: 'El compresor también está dañado', attachmentIds: [photo] };
    await refused(id, 'approve-nte-increase', finance, 409);
    const asked = await act(id, 'request-nte-increase', t.provider, increase);
    expect(asked).toMatchObject({ status: 'IN_PROGRESS', approvedAmount: cop(1_500_000) });
    expect(asked.approval).toMatchObject({ subject: 'nte-increase', amount: cop(3_000_000), requiredTier: 1 });
    await refused(id, 'request-nte-increase', t.provider, 409, increase);
    await refused(id, 'approve-nte-increase', t.client, 404);
    const recorded = await act(id, 'approve-nte-increase', siteManager);
    expect(recorded.approvedAmount).toEqual(cop(1_500_000));
    const approved = await act(id, 'approve-nte-increase', finance);
    expect(approved.approvedAmount).toEqual(cop(3_000_000));
    await act(id, 'complete', t.provider, { report: 'Se cambió el compresor', attachmentIds: [photo] });
    await act(id, 'verify', siteManager);
    const invoiced = await act(id, 'invoice', t.provider, { invoiceNumber: `FE-${id.slice(-6)}`, amount: cop(2_900_000) });
    expect(invoiced.status).toBe('INVOICED');
    const provider = await eventually(async () => {
      const list = await as(t.provider).GET('/api/v1/notifications', {});
      return list.data!.items.find((n) => n.orderId === id && n.template === 'nte-increase-approved');
    });
    expect(provider.recipientUserId).toBe(DEMO.users.provider);
  });
});
