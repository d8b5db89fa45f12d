import { describe, expect, it } from 'vitest';
import { setApprovalChain } from '../../shared/application/clients/approval-chain';
import {
  ApprovalLimitError,
  ConflictError,
  ForbiddenError,
  InvalidConfigurationError,
  InvalidInputError,
  NotFoundError,
} from '../../shared/application/errors';
import { contractSigned, escalateApproval, submitQuote } from '../../shared/application/orders/lifecycle';
import { updateUser } from '../../shared/application/users/users';
import type { Principal } from '../../shared/domain/access/principal';
import type { ApprovalChain } from '../../shared/domain/orders/approval-chain';
import { DEFAULT_PREFERENCES } from '../../shared/domain/users/user';
import type { MemoryUsers } from '../support/memory';
import { CLIENT, MIN, PROVIDER, client, operator, provider, world, type World, storedPhoto } from '../support/order-world';

/**
 * Approval chains and NTE increases through the use cases (issue 17), with in-memory ports: the
 * chain configured per client, orders waiting through its tiers, escalation by the scheduled
 * message, and the NTE that grows only once an increase is approved.
 */
const cop = (pesos: number) => ({ amount: pesos * 100, currency: 'COP' });
const CHAIN: ApprovalChain = {
  tiers: [
    { id: 'site', name: 'Jefe de sede', upTo: cop(2_000_000) },
    { id: 'regional', name: 'Gerente regional', upTo: cop(10_000_000) },
    { id: 'finance', name: 'Finanzas' },
  ],
  escalateAfterBusinessHours: 8,
};
const siteManager: Principal = { userId: 'u-site', role: 'client', clientId: CLIENT };
const regional: Principal = { userId: 'u-regional', role: 'client', clientId: CLIENT };
const otherClient: Principal = { userId: 'u-other', role: 'client', clientId: 'cli_other' };
const call = (principal: Principal) => ({ principal, correlationId: 'c' });
// Tuesday 2026-03-03, 10:00 in Bogotá.
const START = '2026-03-03T15:00:00.000Z';

async function chained(w: World, chain: ApprovalChain = CHAIN) {
  await setApprovalChain(w.deps, call(operator), CLIENT, chain);
  const users = w.deps.users as MemoryUsers;
  for (const [p, tier] of [
    [siteManager, 'site'],
    [regional, 'regional'],
  ] as const)
    await users.put({
      userId: p.userId,
      role: 'client',
      clientId: CLIENT,
      approvalTier: tier,
      preferences: DEFAULT_PREFERENCES,
      updatedAt: START,
    });
}

const eventsOf = (w: World, id: string, type: string) => w.orders.events.filter((e) => e.subject === id && e.type === type);

async function assigned(w: World, pesos: number) {
  const o = await w.create('P3');
  await w.act(o.id, operator, 'triage');
  return { id: o.id, order: (await w.act(o.id, operator, 'assign', { providerId: PROVIDER, amount: cop(pesos) })).value };
}

describe('configuring a client’s chain', () => {
  it('staff set it; a wrong chain is refused with field errors and nothing is written', async () => {
    const w = await world(START);
    const before = await w.deps.clients.get(CLIENT);
    const bad = { ...CHAIN, tiers: [CHAIN.tiers[1]!, CHAIN.tiers[0]!, CHAIN.tiers[2]!] };
    const refused = await setApprovalChain(w.deps, call(operator), CLIENT, bad).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidConfigurationError);
    expect((refused as InvalidConfigurationError).fieldErrors.map((f) => f.field)).toEqual(['tiers/1/upTo']);
    expect(await w.deps.clients.get(CLIENT)).toEqual(before);
    const saved = await setApprovalChain(w.deps, call(operator), CLIENT, CHAIN);
    expect(saved.value.approvalChain).toEqual(CHAIN);
  });

  it('a client user may not (403); another client’s user does not see the client (404)', async () => {
    const w = await world(START);
    await expect(setApprovalChain(w.deps, call(client), CLIENT, CHAIN)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(setApprovalChain(w.deps, call(otherClient), CLIENT, CHAIN)).rejects.toBeInstanceOf(NotFoundError);
    expect((await w.deps.clients.get(CLIENT))?.value.approvalChain).toBeUndefined();
  });

  it('a user’s tier must be one of the client’s chain', async () => {
    const w = await world(START);
    await chained(w);
    const deps = { users: w.deps.users, clients: w.deps.clients, clock: w.deps.clock };
    const input = { role: 'client' as const, clientId: CLIENT, approvalTier: 'ceo' };
    await expect(updateUser(deps, call(operator), 'u-x', input)).rejects.toBeInstanceOf(InvalidInputError);
    const ok = await updateUser(deps, call(operator), 'u-x', { ...input, approvalTier: 'finance' });
    expect(ok.profile.value.approvalTier).toBe('finance');
  });
});

describe('an order through a two-tier chain', () => {
  it('without a chain nothing changes: the approval limit decides and the order carries no approval', async () => {
    const w = await world(START);
    const { id, order } = await assigned(w, 5_000_000);
    expect(order.status).toBe('CONTRACTING');
    expect(order.approval).toBeUndefined();
    expect(eventsOf(w, id, 'order.approval-requested')).toEqual([]);
  });

  it('a direct assignment waits for approval; the lower tier records, the covering tier completes', async () => {
    const w = await world(START);
    await chained(w);
    const { id, order } = await assigned(w, 5_000_000);
    expect(order).toMatchObject({ status: 'AWAITING_APPROVAL', providerId: PROVIDER, approvedAmount: cop(5_000_000) });
    expect(order.approval).toMatchObject({ subject: 'assignment', currentTier: 0, requiredTier: 1 });
    expect(eventsOf(w, id, 'order.approval-requested').map((e) => e.data)).toEqual([
      expect.objectContaining({ tierId: 'site', subject: 'assignment', amount: cop(5_000_000) }),
    ]);
    const [due] = eventsOf(w, id, 'order.approval-escalation-due');
    expect(due?.deliverAt).toBe(order.approval?.dueAt);

    const partial = (await w.act(id, siteManager, 'approve')).value;
    expect(partial.status).toBe('AWAITING_APPROVAL');
    expect(partial.approval).toMatchObject({ currentTier: 1, approvals: [{ tierId: 'site', userId: 'u-site' }] });
    expect(w.orders.historyEntries.at(-1)).toMatchObject({
      action: 'approve',
      from: 'AWAITING_APPROVAL',
      to: 'AWAITING_APPROVAL',
    });
    expect(eventsOf(w, id, 'order.approval-recorded')).toHaveLength(1);
    expect(eventsOf(w, id, 'order.contract-requested')).toEqual([]);
    // The site manager cannot approve twice: the chain moved past its tier.
    await expect(w.act(id, siteManager, 'approve')).rejects.toBeInstanceOf(ApprovalLimitError);

    const done = (await w.act(id, regional, 'approve')).value;
    expect(done.status).toBe('CONTRACTING');
    expect(done.approval).toMatchObject({ outcome: 'approved' });
    expect(eventsOf(w, id, 'order.contract-requested')).toHaveLength(1);
    expect(w.orders.historyEntries.at(-1)?.details).toMatchObject({ approval: { outcome: 'approved' } });
  });

  it('a tier that does not answer escalates at its due time; a stale or early message changes nothing', async () => {
    const w = await world(START);
    await chained(w);
    const { id, order } = await assigned(w, 5_000_000);
    const dueAt = order.approval!.dueAt!;
    // Early: refused (the bus retries).
    await expect(escalateApproval(w.deps, { correlationId: 'c' }, CLIENT, id, 'site', dueAt)).rejects.toBeInstanceOf(
      ConflictError,
    );
    w.at(dueAt);
    const escalated = await escalateApproval(w.deps, { correlationId: 'c' }, CLIENT, id, 'site', dueAt);
    expect(escalated?.value.approval).toMatchObject({
      currentTier: 1,
      escalations: [{ fromTierId: 'site', toTierId: 'regional' }],
    });
    expect(eventsOf(w, id, 'order.approval-escalated').map((e) => e.data)).toEqual([
      expect.objectContaining({ fromTierId: 'site', tierId: 'regional' }),
    ]);
    const version = (await w.get(id)).version;
    // The same message again: a no-op.
    expect(await escalateApproval(w.deps, { correlationId: 'c' }, CLIENT, id, 'site', dueAt)).toBeUndefined();
    expect((await w.get(id)).version).toBe(version);
    // The escalated-from tier may no longer approve; the next one does.
    await expect(w.act(id, siteManager, 'approve')).rejects.toBeInstanceOf(ApprovalLimitError);
    expect((await w.act(id, regional, 'approve')).value.status).toBe('CONTRACTING');
  });

  it('staff approve on the client’s behalf only with a reason', async () => {
    const w = await world(START);
    await chained(w);
    const { id } = await assigned(w, 50_000_000);
    await expect(w.act(id, operator, 'approve')).rejects.toBeInstanceOf(InvalidInputError);
    const done = (await w.act(id, operator, 'approve', { reason: 'Finanzas aprobó por correo' })).value;
    expect(done.status).toBe('CONTRACTING');
    expect(done.approval?.approvals).toEqual([
      expect.objectContaining({ role: 'operator', reason: 'Finanzas aprobó por correo' }),
    ]);
  });

  it('a tier user rejecting a chained assignment returns the order to triage, provider and amount cleared', async () => {
    const w = await world(START);
    await chained(w);
    const { id } = await assigned(w, 5_000_000);
    const back = (await w.act(id, regional, 'reject-quote', { reason: 'Muy caro' })).value;
    expect(back.status).toBe('TRIAGED');
    expect(back.providerId).toBeUndefined();
    expect(back.approvedAmount).toBeUndefined();
    expect(back.approval).toMatchObject({ outcome: 'rejected' });
  });

  it('a selected quote starts the chain too', async () => {
    const w = await world(START);
    await chained(w);
    const o = await w.create('P3');
    await w.act(o.id, operator, 'triage');
    await w.act(o.id, operator, 'request-quotes', { quoteDeadline: new Date(Date.parse(w.now()) + 60 * MIN).toISOString() });
    const q = await submitQuote(w.deps, call(provider), o.id, {
      amount: cop(1_500_000),
      leadTimeDays: 2,
      validUntil: '2026-12-31',
    });
    const selected = (await w.act(o.id, operator, 'select-quote', { quoteId: q.id })).value;
    expect(selected.approval).toMatchObject({ subject: 'quote', requiredTier: 0 });
    expect((await w.act(o.id, siteManager, 'approve')).value.status).toBe('CONTRACTING');
  });
  it('cancelling an order that waits for its chain withdraws the approval: it no longer reads as pending nor escalates', async () => {
    const w = await world(START);
    await chained(w);
    const { id, order } = await assigned(w, 5_000_000);
    const dueAt = order.approval!.dueAt!;
    const cancelled = (await w.act(id, client, 'cancel', { reason: 'Ya no se necesita' })).value;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.approval).toMatchObject({ outcome: 'withdrawn', decidedAt: w.now(), currentTier: 0 });
    expect(cancelled.approval!.dueAt).toBeUndefined();
    // The escalation message already scheduled finds nothing to escalate, and no answer is taken.
    w.at(dueAt);
    expect(await escalateApproval(w.deps, { correlationId: 'c' }, CLIENT, id, 'site', dueAt)).toBeUndefined();
    expect((await w.get(id)).version).toBe(cancelled.version);
    await expect(w.act(id, regional, 'approve')).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('NTE increase requests', () => {
  async function inProgress(w: World, pesos: number) {
    const { id } = await assigned(w, pesos);
    if ((await w.get(id)).status === 'AWAITING_APPROVAL') await w.act(id, operator, 'approve', { reason: 'ok' });
    await contractSigned(w.deps, { correlationId: 'c' }, CLIENT, id);
    await w.act(id, provider, 'schedule', { visitAt: new Date(Date.parse(w.now()) + 30 * MIN).toISOString() });
    await w.act(id, provider, 'check-in');
    await storedPhoto(w, id, 'att_photo', provider.userId);
    return id;
  }
  const request = (pesos: number) => ({ amount: cop(pesos), reason: 'El compresor también falló', attachmentIds: ['att_photo'] });

  it('the provider asks; the NTE grows only once the chain approved; then an invoice above the old NTE passes', async () => {
    const w = await world(START);
    await chained(w);
    const id = await inProgress(w, 1_000_000);
    await expect(w.act(id, provider, 'request-nte-increase', request(1_000_000))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      w.act(id, provider, 'request-nte-increase', { ...request(3_000_000), attachmentIds: ['att_unknown'] }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    const asked = (await w.act(id, provider, 'request-nte-increase', request(3_000_000))).value;
    expect(asked).toMatchObject({ status: 'IN_PROGRESS', approvedAmount: cop(1_000_000) });
    expect(asked.approval).toMatchObject({ subject: 'nte-increase', previousAmount: cop(1_000_000), requiredTier: 1 });
    expect(eventsOf(w, id, 'order.nte-increase-requested').map((e) => e.data)).toEqual([
      expect.objectContaining({ amount: cop(3_000_000), previousAmount: cop(1_000_000), providerId: PROVIDER }),
    ]);
    // One pending request at a time.
    await expect(w.act(id, provider, 'request-nte-increase', request(4_000_000))).rejects.toBeInstanceOf(ConflictError);
    await expect(w.act(id, provider, 'approve-nte-increase')).rejects.toBeInstanceOf(ForbiddenError);

    expect((await w.act(id, siteManager, 'approve-nte-increase')).value.approvedAmount).toEqual(cop(1_000_000));
    const approved = (await w.act(id, regional, 'approve-nte-increase')).value;
    expect(approved).toMatchObject({ status: 'IN_PROGRESS', approvedAmount: cop(3_000_000), approval: { outcome: 'approved' } });
    expect(eventsOf(w, id, 'order.nte-increase-approved')).toHaveLength(1);

    await w.act(id, provider, 'complete', { report: 'Hecho', attachmentIds: ['att_photo'] });
    await w.act(id, client, 'verify');
    const invoiced = (await w.act(id, provider, 'invoice', { invoiceNumber: 'F-9', amount: cop(2_800_000) })).value;
    expect(invoiced.status).toBe('INVOICED');
  });

  it('an operator cancelling the order withdraws a pending NTE increase; a decided one stays as it was', async () => {
    const w = await world(START);
    await chained(w);
    const id = await inProgress(w, 1_000_000);
    await w.act(id, provider, 'request-nte-increase', request(3_000_000));
    const cancelled = (await w.act(id, operator, 'cancel', { reason: 'El cliente cerró la sede' })).value;
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      approvedAmount: cop(1_000_000),
      approval: { subject: 'nte-increase', outcome: 'withdrawn' },
    });
    await expect(w.act(id, regional, 'approve-nte-increase')).rejects.toBeInstanceOf(ConflictError);

    const other = await inProgress(w, 1_000_000);
    await w.act(other, provider, 'request-nte-increase', request(1_500_000));
    await w.act(other, siteManager, 'approve-nte-increase');
    const decided = (await w.get(other)).approval!;
    expect(decided.outcome).toBe('approved');
    const after = (await w.act(other, operator, 'cancel', { reason: 'Duplicada' })).value;
    expect(after.approval).toEqual(decided);
  });

  it('a rejected request leaves the NTE as it was; without a chain the approval limit (or staff) decides', async () => {
    const w = await world(START);
    const id = await inProgress(w, 1_000_000);
    const asked = (await w.act(id, provider, 'request-nte-increase', request(1_500_000))).value;
    expect(asked.approval).toMatchObject({ mode: 'approval-limit' });
    expect(eventsOf(w, id, 'order.approval-requested').at(-1)?.data).toMatchObject({ approvers: 'approval-limit' });
    await expect(w.act(id, client, 'approve-nte-increase')).rejects.toBeInstanceOf(ApprovalLimitError);
    const rejected = (await w.act(id, operator, 'reject-nte-increase', { reason: 'Se hará en otra orden' })).value;
    expect(rejected).toMatchObject({ approvedAmount: cop(1_000_000), approval: { outcome: 'rejected' } });
    expect(eventsOf(w, id, 'order.nte-increase-rejected')).toHaveLength(1);
    await expect(w.act(id, operator, 'approve-nte-increase')).rejects.toBeInstanceOf(ConflictError);
    // A new request is possible once the last one was answered.
    await w.act(id, provider, 'request-nte-increase', request(1_200_000));
    expect((await w.act(id, operator, 'approve-nte-increase')).value.approvedAmount).toEqual(cop(1_200_000));
  });
});
