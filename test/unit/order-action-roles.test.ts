import { describe, expect, it } from 'vitest';
import { canSeeOrder } from '../../shared/application/access';
import { ApplicationError, ConflictError, ForbiddenError } from '../../shared/application/errors';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { ROLES, type Principal, type Role } from '../../shared/domain/access/principal';
import { API_ACTIONS, ORDER_RULES, type ApiAction } from '../../shared/domain/orders/lifecycle';
import type { OrderStatus } from '../../shared/domain/orders/order';
import { CLIENT, MIN, PROVIDER, client, operator, provider, world, type World, storedPhoto } from '../support/order-world';

/**
 * 403 before 409 (issue 14, item 5): whether the caller's role may ever take an action is decided
 * before the order's state — and before the action's input is looked up — for every action and every
 * role the table never allows it. Scope still comes first: an order the caller cannot see is 404.
 */
const admin: Principal = { userId: 'u-adm', role: 'admin' };
const CALLERS: Record<Role, Principal> = { admin, operator, client, provider };
const money = (amount: number) => ({ amount, currency: 'COP' });

/**
 * Written by hand from DESIGN 2.1, not from ORDER_RULES: who may never take these actions. The test
 * checks the table says the same, so a change to the table that contradicts the design shows here.
 */
const NEVER_BY_DESIGN: Partial<Record<ApiAction, readonly Role[]>> = {
  close: ['client', 'provider'],
  triage: ['client', 'provider'],
  approve: ['provider'],
  'reject-quote': ['admin', 'operator', 'provider'],
  complete: ['admin', 'operator', 'client'],
  invoice: ['admin', 'operator', 'client'],
  rate: ['admin', 'operator', 'provider'],
  cancel: ['provider'],
  'check-in': ['admin', 'operator', 'client'],
  assign: ['client', 'provider'],
  // Issue 17: the provider checks out; staff review a held invoice.
  'check-out': ['admin', 'operator', 'client'],
  'approve-invoice': ['client', 'provider'],
  'reject-invoice': ['client', 'provider'],
  // Issue 17: the assigned provider asks for more than the NTE; the client's chain (or staff for it) answers.
  'request-nte-increase': ['admin', 'operator', 'client'],
  'approve-nte-increase': ['provider'],
  'reject-nte-increase': ['provider'],
};

/** The roles the table never lets take the action. */
const neverRoles = (action: ApiAction): Role[] =>
  ROLES.filter((r) => !(ORDER_RULES[action].roles as readonly string[]).includes(r));

/**
 * A body that passes the HTTP schema but whose lookups would fail (unknown quote, unknown provider,
 * unknown evidence): the role must be refused before they are looked at.
 */
function body(action: ApiAction, now: string): Record<string, unknown> {
  const later = new Date(Date.parse(now) + 24 * 60 * MIN).toISOString();
  switch (action) {
    case 'request-quotes':
      return { quoteDeadline: later };
    case 'select-quote':
      return { quoteId: 'quo_unknown' };
    case 'assign':
      return { providerId: 'prv_unknown', amount: money(100) };
    case 'schedule':
      return { visitAt: later };
    case 'complete':
      return { report: 'done', attachmentIds: ['att_unknown'] };
    case 'rate':
      return { score: 5 };
    case 'invoice':
      return { invoiceNumber: 'F-1', amount: money(100), attachmentId: 'att_unknown' };
    case 'request-nte-increase':
      return { amount: money(900_000_00), reason: 'más trabajo', attachmentIds: ['att_unknown'] };
    case 'triage':
    case 'approve':
    case 'check-in':
    case 'verify':
    case 'close':
      return {};
    default:
      return { reason: 'porque sí' };
  }
}

/** One order in each state a caller can reach without the system's help (plus SCHEDULED by the contract). */
async function ordersByState(w: World): Promise<Map<OrderStatus, string>> {
  const byState = new Map<OrderStatus, string>();
  const step = async (id: string, by: Principal, action: ApiAction, b: Record<string, unknown> = {}) =>
    (await w.act(id, by, action, b)).value.status;
  const fresh = async () => (await w.create('P3')).id;
  byState.set('SUBMITTED', await fresh());
  const triaged = await fresh();
  byState.set(await step(triaged, operator, 'triage'), triaged);
  const quoting = await fresh();
  await step(quoting, operator, 'triage');
  byState.set(
    await step(quoting, operator, 'request-quotes', { quoteDeadline: new Date(Date.parse(w.now()) + 60 * MIN).toISOString() }),
    quoting,
  );
  // The field-work path on one order per state: assigned, signed, scheduled, in progress, completed, verified, invoiced.
  const path: [ApiAction | 'sign', Principal, Record<string, unknown>][] = [
    ['triage', operator, {}],
    ['assign', operator, { providerId: PROVIDER, amount: money(500_000_00) }],
    ['sign', operator, {}],
    ['schedule', provider, { visitAt: new Date(Date.parse(w.now()) + 30 * MIN).toISOString() }],
    ['check-in', provider, {}],
    ['complete', provider, { report: 'Hecho', attachmentIds: ['att_photo'] }],
    ['verify', client, {}],
    ['invoice', provider, { invoiceNumber: 'F-100', amount: money(500_000_00) }],
  ];
  for (let upTo = 2; upTo <= path.length; upTo++) {
    const id = await fresh();
    await storedPhoto(w, id, 'att_photo', provider.userId);
    let status: OrderStatus = 'SUBMITTED';
    for (const [action, by, b] of path.slice(0, upTo)) {
      if (action === 'sign') status = (await contractSigned(w.deps, { correlationId: 'roles' }, CLIENT, id)).value.status;
      else status = await step(id, by, action, b);
    }
    if (!byState.has(status)) byState.set(status, id);
  }
  return byState;
}

async function outcome(w: World, id: string, by: Principal, action: ApiAction): Promise<string> {
  try {
    await w.act(id, by, action, body(action, w.now()));
    return 'accepted';
  } catch (err) {
    if (!(err instanceof ApplicationError)) throw err;
    return err.kind;
  }
}

describe('403 before 409: the role is decided before the state', () => {
  it('the table agrees with the hand-written expectations of DESIGN 2.1', () => {
    for (const [action, roles] of Object.entries(NEVER_BY_DESIGN)) expect(neverRoles(action as ApiAction), action).toEqual(roles);
  });

  it('a client closing its own SUBMITTED order is 403 (not 409 with allowedActions), and nothing changes', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const o = await w.create('P3');
    const refused = await w.act(o.id, client, 'close').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as ForbiddenError).details).toBeUndefined();
    expect(await w.get(o.id)).toEqual(o);
    // A role that may close, in the wrong state, still gets the 409 with what it could do now.
    const conflict = await w.act(o.id, operator, 'close').catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).details).toMatchObject({
      currentState: 'SUBMITTED',
      allowedActions: ['triage', 'reject', 'cancel'],
    });
  });

  it('a few by hand: provider approve, client triage, operator complete, client invoice — 403 in states where they are not legal', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const states = await ordersByState(w);
    expect(await outcome(w, states.get('SCHEDULED')!, provider, 'approve')).toBe('forbidden');
    expect(await outcome(w, states.get('VERIFIED')!, client, 'triage')).toBe('forbidden');
    expect(await outcome(w, states.get('SUBMITTED')!, operator, 'complete')).toBe('forbidden');
    expect(await outcome(w, states.get('TRIAGED')!, client, 'invoice')).toBe('forbidden');
    expect(await outcome(w, states.get('TRIAGED')!, client, 'assign')).toBe('forbidden');
    expect(await outcome(w, states.get('SUBMITTED')!, client, 'select-quote')).toBe('forbidden');
    // Scope first: a provider not involved in the order does not learn that it exists.
    expect(await outcome(w, states.get('SUBMITTED')!, provider, 'approve')).toBe('not-found');
  });

  it('every action × every role the table never allows × every state: 404 outside scope, else 403; never 409 or 422; nothing written', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const states = await ordersByState(w);
    expect([...states.keys()].sort()).toEqual(
      [
        'SUBMITTED',
        'TRIAGED',
        'QUOTING',
        'CONTRACTING',
        'SCHEDULED',
        'IN_PROGRESS',
        'WORK_COMPLETED',
        'VERIFIED',
        'INVOICED',
      ].sort(),
    );
    const wrong: string[] = [];
    let checked = 0;
    for (const [state, id] of states) {
      const before = await w.orders.get(CLIENT, id);
      for (const action of API_ACTIONS) {
        for (const role of neverRoles(action)) {
          const by = CALLERS[role];
          const expected = canSeeOrder(by, before!.value) ? 'forbidden' : 'not-found';
          const got = await outcome(w, id, by, action);
          checked++;
          if (got !== expected) wrong.push(`${action} by ${role} on ${state}: ${got}, expected ${expected}`);
        }
      }
      expect(await w.orders.get(CLIENT, id), `${state}: a refused action changed the order`).toEqual(before);
    }
    expect(wrong).toEqual([]);
    // 53 (action, role) pairs the table never allows × 9 states (issue 17 added check-out, the invoice review
    // and the NTE increase: 12 pairs; issue 18 the checklist answer: 3).
    expect(checked).toBe(477);
  });
});

describe('the refusal is a 403, not an input error', () => {
  it('an unknown quote, provider or evidence named by a caller whose role may never act is still 403', async () => {
    const w = await world('2026-03-03T15:00:00.000Z');
    const states = await ordersByState(w);
    for (const [action, by, state] of [
      ['select-quote', client, 'QUOTING'],
      ['assign', client, 'TRIAGED'],
      ['complete', operator, 'IN_PROGRESS'],
      ['invoice', client, 'VERIFIED'],
    ] as const) {
      expect(await outcome(w, states.get(state)!, by, action), `${action} by ${by.role} on ${state}`).toBe('forbidden');
    }
  });
});
