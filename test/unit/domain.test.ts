import { describe, expect, it } from 'vitest';
import { clientIdOfOrder, isId, makeId, makeOrderId } from '../../shared/domain/shared/ids';
import { covers, isValidMoney } from '../../shared/domain/shared/money';
import { mayCreateOrderFor, submitOrder } from '../../shared/domain/orders/order';
import { DEFAULT_SLA_CONTEXT } from '../../shared/domain/orders/sla-lifecycle';
import { scopeProblem } from '../../shared/domain/users/user';
import { ulid } from '../../shared/platform/ids';

describe('ids', () => {
  it('makes ULID-based ids and recognises them', () => {
    const id = makeId('client', ulid());
    expect(isId('client', id)).toBe(true);
    expect(isId('site', id)).toBe(false);
    expect(isId('client', 'cli_not-a-ulid')).toBe(false);
  });

  it('carries the client in the order id so that any caller can point-read it', () => {
    const clientId = makeId('client', ulid());
    const orderId = makeOrderId(clientId, ulid());
    expect(orderId.startsWith('ord_')).toBe(true);
    expect(clientIdOfOrder(orderId)).toBe(clientId);
    expect(clientIdOfOrder('ord_garbage')).toBeUndefined();
    expect(clientIdOfOrder(clientId)).toBeUndefined();
  });

  it('ULIDs sort by creation time', () => {
    expect(ulid(1_000) < ulid(2_000)).toBe(true);
    expect(ulid()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

describe('money', () => {
  it('is integer minor units with an ISO currency', () => {
    expect(isValidMoney({ amount: 150_000_00, currency: 'COP' })).toBe(true);
    expect(isValidMoney({ amount: 1.5, currency: 'COP' })).toBe(false);
    expect(isValidMoney({ amount: -1, currency: 'COP' })).toBe(false);
    expect(isValidMoney({ amount: 1, currency: 'cop' })).toBe(false);
  });

  it('a limit covers only amounts in its own currency', () => {
    expect(covers({ amount: 100, currency: 'COP' }, { amount: 100, currency: 'COP' })).toBe(true);
    expect(covers({ amount: 100, currency: 'COP' }, { amount: 101, currency: 'COP' })).toBe(false);
    expect(covers({ amount: 100, currency: 'USD' }, { amount: 1, currency: 'COP' })).toBe(false);
  });
});

describe('orders', () => {
  const client = { userId: 'u1', role: 'client' as const, clientId: 'cli_A' };
  const input = {
    id: 'ord_1',
    clientId: 'cli_A',
    siteId: 'sit_1',
    category: 'hvac' as const,
    priority: 'P2' as const,
    title: 'AC broken',
    description: 'No cooling in room 3',
    requester: { userId: 'u1', name: 'Ana' },
    channel: 'dashboard' as const,
  };

  it('a new order is SUBMITTED with one history entry, order.submitted, its SLA clocks and their first check', () => {
    const d = submitOrder(input, client, '2026-03-01T00:00:00.000Z', DEFAULT_SLA_CONTEXT);
    expect(d.order.status).toBe('SUBMITTED');
    expect(d.order.version).toBe(1);
    expect(d.history).toEqual([
      expect.objectContaining({ seq: 1, action: 'create', from: null, to: 'SUBMITTED', by: { userId: 'u1', role: 'client' } }),
    ]);
    expect(d.events).toHaveLength(2);
    expect(d.events[0]).toMatchObject({ type: 'order.submitted', subject: 'ord_1', data: { clientId: 'cli_A', priority: 'P2' } });
    // P2: acknowledge in 2 h, on site in 8 h, resolve in 48 h; the first mark is 75 % of 2 h.
    expect(d.order.sla?.clocks.acknowledge.dueAt).toBe('2026-03-01T02:00:00.000Z');
    expect(d.order.sla?.clocks.onSite.dueAt).toBe('2026-03-01T08:00:00.000Z');
    expect(d.order.sla?.clocks.resolve.dueAt).toBe('2026-03-03T00:00:00.000Z');
    expect(d.order).toMatchObject({ slaStatus: 'on-track', slaNextCheckAt: '2026-03-01T01:30:00.000Z' });
    expect(d.events[1]).toMatchObject({
      type: 'order.sla-check-due',
      deliverAt: '2026-03-01T01:30:00.000Z',
      data: { orderId: 'ord_1', clientId: 'cli_A', checkAt: '2026-03-01T01:30:00.000Z' },
    });
  });

  it('only the client itself and staff create orders for a client', () => {
    expect(mayCreateOrderFor(client, 'cli_A')).toBe(true);
    expect(mayCreateOrderFor(client, 'cli_B')).toBe(false);
    expect(mayCreateOrderFor({ userId: 'o', role: 'operator' }, 'cli_B')).toBe(true);
    expect(mayCreateOrderFor({ userId: 'p', role: 'provider', providerId: 'prv_1' }, 'cli_A')).toBe(false);
  });
});

describe('user scope', () => {
  it('role and scope must agree', () => {
    expect(scopeProblem({ role: 'client', clientId: 'c' })).toBeUndefined();
    expect(scopeProblem({ role: 'client' })).toMatch(/clientId/);
    expect(scopeProblem({ role: 'operator', clientId: 'c' })).toMatch(/clientId/);
    expect(scopeProblem({ role: 'provider' })).toMatch(/providerId/);
    expect(scopeProblem({ role: 'operator', approvalLimit: { amount: 1, currency: 'COP' } })).toMatch(/approval/);
  });
});
