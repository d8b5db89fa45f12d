import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  approvalChainProblems,
  approvalStepRefusal,
  coveringTier,
  escalateApproval,
  escalationRefusal,
  recordApproval,
  rejectApproval,
  rejectionRefusal,
  startApproval,
  tiersFor,
  type ApprovalChain,
  type ApprovalTerms,
  type Approver,
  type OrderApproval,
} from '../../shared/domain/orders/approval-chain';
import { addBusinessHours, DEFAULT_CALENDAR } from '../../shared/domain/orders/business-calendar';
import { decide, OrderRuleError, type Actor } from '../../shared/domain/orders/lifecycle';
import type { Order } from '../../shared/domain/orders/order';

/**
 * The approval chain's rules (issue 17), as pure functions: validation of a client's chain, which
 * tier approves an amount, recording approvals, escalation and rejection.
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
const TERMS: ApprovalTerms = { chain: CHAIN, calendar: DEFAULT_CALENDAR };
// Friday 2026-03-06, 16:00 in Bogotá (UTC−5).
const FRIDAY_4PM = '2026-03-06T21:00:00.000Z';
const user = (tierId: string, userId = `u-${tierId}`): Approver => ({ userId, role: 'client', tierId });
const operator = (reason?: string): Approver => ({ userId: 'u-op', role: 'operator', ...(reason ? { reason } : {}) });

const start = (pesos: number, terms: ApprovalTerms = TERMS, category: 'hvac' | 'plumbing' = 'hvac') =>
  startApproval({ subject: 'quote', amount: cop(pesos), category }, terms, FRIDAY_4PM);

const fields = (chain: ApprovalChain) => approvalChainProblems(chain, 'COP').map((p) => p.field);

describe('a client’s approval chain: validation', () => {
  it('a well-formed chain has no problems', () => {
    expect(approvalChainProblems(CHAIN, 'COP')).toEqual([]);
  });

  it('refuses overlapping (non-increasing) limits, naming the tier', () => {
    const tiers = [CHAIN.tiers[0]!, { ...CHAIN.tiers[1]!, upTo: cop(2_000_000) }, CHAIN.tiers[2]!];
    expect(fields({ ...CHAIN, tiers })).toEqual(['tiers/1/upTo']);
  });

  it('refuses an unbounded tier that is not last, and a bounded last tier', () => {
    const tiers = [CHAIN.tiers[0]!, { id: 'regional', name: 'R' }, { id: 'finance', name: 'F', upTo: cop(20_000_000) }];
    expect(fields({ ...CHAIN, tiers })).toEqual(['tiers/1/upTo', 'tiers/2/upTo']);
  });

  it('refuses another currency, a zero limit, duplicate ids, an empty chain and bad hours', () => {
    const tiers = [
      { id: 'site', name: 'S', upTo: { amount: 100, currency: 'USD' } },
      { id: 'site', name: 'S2', upTo: cop(0) },
      { id: 'finance', name: 'F' },
    ];
    expect(fields({ tiers, escalateAfterBusinessHours: 0 })).toEqual([
      'tiers/0/upTo/currency',
      'tiers/1/id',
      'tiers/1/upTo/amount',
      'tiers/1/upTo',
      'escalateAfterBusinessHours',
    ]);
    expect(fields({ tiers: [], escalateAfterBusinessHours: 1.5 })).toEqual(['tiers', 'escalateAfterBusinessHours']);
  });

  it('limits overlap only among tiers that share a category; the last tier applies to every category', () => {
    const hvacOnly = { id: 'hvac-lead', name: 'HVAC', upTo: cop(5_000_000), categories: ['hvac' as const] };
    const plumbingLow = { id: 'plumbing-lead', name: 'Plomería', upTo: cop(1_000_000), categories: ['plumbing' as const] };
    // plumbing-lead (1M) sits above hvac-lead (5M) in the list, but they never meet: no overlap.
    expect(fields({ ...CHAIN, tiers: [hvacOnly, plumbingLow, { id: 'finance', name: 'F' }] })).toEqual([]);
    // site (2M, every category) above hvac-lead (5M) meet for hvac: overlap.
    expect(fields({ ...CHAIN, tiers: [hvacOnly, CHAIN.tiers[0]!, { id: 'finance', name: 'F' }] })).toEqual(['tiers/1/upTo']);
    expect(fields({ ...CHAIN, tiers: [CHAIN.tiers[0]!, { id: 'finance', name: 'F', categories: ['hvac'] }] })).toEqual([
      'tiers/1/categories',
    ]);
  });
});

describe('which tier approves an amount', () => {
  it('the first tier whose limit covers it, among the tiers of the order’s category', () => {
    expect(coveringTier(CHAIN.tiers, cop(2_000_000))).toBe(0);
    expect(coveringTier(CHAIN.tiers, cop(2_000_001))).toBe(1);
    expect(coveringTier(CHAIN.tiers, cop(50_000_000))).toBe(2);
    const chain = { ...CHAIN, tiers: [{ ...CHAIN.tiers[0]!, categories: ['plumbing' as const] }, ...CHAIN.tiers.slice(1)] };
    expect(tiersFor(chain, 'hvac').map((t) => t.id)).toEqual(['regional', 'finance']);
    expect(tiersFor(chain, 'plumbing').map((t) => t.id)).toEqual(['site', 'regional', 'finance']);
  });

  it('an approval starts at the lowest tier, due after N business hours (the weekend does not count)', () => {
    const a = start(5_000_000);
    expect(a).toMatchObject({ mode: 'chain', currentTier: 0, requiredTier: 1, approvals: [], escalations: [] });
    // Friday 16:00 + 8 business hours (08:00–18:00): 2 on Friday, 6 on Monday → Monday 14:00 (19:00Z).
    expect(a.dueAt).toBe('2026-03-09T19:00:00.000Z');
    expect(
      startApproval({ subject: 'quote', amount: cop(1), category: 'hvac' }, { calendar: DEFAULT_CALENDAR }, FRIDAY_4PM),
    ).toMatchObject({
      mode: 'approval-limit',
      tiers: [],
    });
  });
});

describe('recording approvals', () => {
  it('a tier below the covering one records and asks the next tier; the covering tier completes', () => {
    const first = recordApproval(start(5_000_000), user('site'), TERMS, FRIDAY_4PM);
    expect(first.complete).toBe(false);
    expect(first.approval).toMatchObject({ currentTier: 1, approvals: [{ tierId: 'site', userId: 'u-site' }] });
    expect(first.approval.outcome).toBeUndefined();
    const second = recordApproval(first.approval, user('regional'), TERMS, FRIDAY_4PM);
    expect(second.complete).toBe(true);
    expect(second.approval).toMatchObject({ outcome: 'approved', approvals: [{ tierId: 'site' }, { tierId: 'regional' }] });
    expect(second.approval.dueAt).toBeUndefined();
  });

  it('a user of a higher tier may approve before the lower ones; a lower tier after the chain moved on may not', () => {
    expect(recordApproval(start(1_000_000), user('finance'), TERMS, FRIDAY_4PM).complete).toBe(true);
    const moved = escalateApproval(start(5_000_000), TERMS, '2026-03-09T19:00:00.000Z');
    const refused = approvalStepRefusal(moved, user('site'));
    expect(refused).toBeInstanceOf(OrderRuleError);
    expect(refused?.kind).toBe('approval-limit');
  });

  it('a client user outside the chain is refused; staff approve on the client’s behalf only with a reason', () => {
    expect(approvalStepRefusal(start(1_000), { userId: 'u', role: 'client' })?.kind).toBe('approval-limit');
    const noReason = approvalStepRefusal(start(1_000), operator());
    expect(noReason?.kind).toBe('guard');
    expect(noReason?.fieldErrors).toEqual([expect.objectContaining({ field: 'reason' })]);
    const done = recordApproval(start(50_000_000), operator('el gerente está de viaje'), TERMS, FRIDAY_4PM);
    expect(done.complete).toBe(true);
    expect(done.approval.approvals).toEqual([
      { userId: 'u-op', role: 'operator', at: FRIDAY_4PM, reason: 'el gerente está de viaje' },
    ]);
  });

  it('without a chain the approver’s own limit decides, as before; staff need no reason', () => {
    const a = start(3_000_000, { calendar: DEFAULT_CALENDAR });
    expect(approvalStepRefusal(a, { userId: 'u', role: 'client', approvalLimit: cop(2_000_000) })?.kind).toBe('approval-limit');
    expect(recordApproval(a, { userId: 'u', role: 'client', approvalLimit: cop(3_000_000) }, TERMS, FRIDAY_4PM).complete).toBe(
      true,
    );
    expect(approvalStepRefusal(a, operator())).toBeUndefined();
  });
});

describe('escalation and rejection', () => {
  it('an overdue tier escalates to the next, with a new due time; past the last tier, to the operators', () => {
    const due = '2026-03-09T19:00:00.000Z';
    const a = start(1_000_000);
    expect(escalationRefusal(a, 'site', due, '2026-03-09T18:59:00.000Z')).toBe('early');
    expect(escalationRefusal(a, 'regional', due, due)).toBe('stale');
    expect(escalationRefusal(a, 'site', due, due)).toBeUndefined();
    const once = escalateApproval(a, TERMS, due);
    expect(once).toMatchObject({ currentTier: 1, escalations: [{ fromTierId: 'site', toTierId: 'regional', at: due }] });
    // Monday 14:00 + 8 business hours: 4 on Monday, 4 on Tuesday → Tuesday 12:00 (17:00Z).
    expect(once.dueAt).toBe('2026-03-10T17:00:00.000Z');
    expect(escalationRefusal(once, 'site', due, due)).toBe('stale');
    const twice = escalateApproval(once, TERMS, once.dueAt!);
    const last = escalateApproval(twice, TERMS, twice.dueAt!);
    expect(last).toMatchObject({ currentTier: 2, escalatedToOperators: true });
    expect(last.dueAt).toBeUndefined();
    expect(last.escalations.at(-1)).toEqual({ fromTierId: 'finance', at: twice.dueAt });
    // A finance user can still approve once the operators were asked.
    expect(recordApproval(last, user('finance'), TERMS, twice.dueAt!).complete).toBe(true);
  });

  it('a user of any tier of the chain (or staff) may reject; a user outside it may not', () => {
    const a = start(5_000_000);
    expect(rejectionRefusal(a, user('regional'))).toBeUndefined();
    expect(rejectionRefusal(a, operator())).toBeUndefined();
    expect(rejectionRefusal(a, { userId: 'x', role: 'client', tierId: 'nope' })?.kind).toBe('approval-limit');
    const rejected = rejectApproval(a, FRIDAY_4PM);
    expect(rejected).toMatchObject({ outcome: 'rejected', decidedAt: FRIDAY_4PM });
    expect(escalationRefusal(rejected, 'site', a.dueAt!, a.dueAt!)).toBe('stale');
  });

  it('business hours count only inside opening hours; landing on closing carries to the next opening', () => {
    expect(addBusinessHours('2026-03-06T21:00:00.000Z', 2)).toBe('2026-03-09T13:00:00.000Z'); // Fri 16:00 + 2 → Mon 08:00
    expect(addBusinessHours('2026-03-07T15:00:00.000Z', 1)).toBe('2026-03-09T14:00:00.000Z'); // Saturday → Mon 09:00
    expect(() => addBusinessHours(FRIDAY_4PM, 0)).toThrow(RangeError);
  });
});

describe('property: whatever the sequence, an approval completes only by a covering tier or staff', () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant('tier' as const), tier: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('staff' as const) }),
    fc.record({ kind: fc.constant('escalate' as const) }),
  );

  it('holds for every amount and every sequence of approvals and escalations', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000_000 }), fc.array(step, { maxLength: 12 }), (pesos, steps) => {
        let a: OrderApproval = start(pesos);
        let now = FRIDAY_4PM;
        for (const s of steps) {
          if (a.outcome) break;
          const before = a;
          if (s.kind === 'escalate') {
            if (!a.dueAt) continue;
            now = a.dueAt;
            a = escalateApproval(a, TERMS, now);
            expect(a.outcome).toBeUndefined();
            continue;
          }
          const by = s.kind === 'staff' ? operator('motivo') : user(CHAIN.tiers[s.tier]!.id);
          if (approvalStepRefusal(a, by)) {
            expect(() => recordApproval(a, by, TERMS, now)).toThrow(OrderRuleError);
            continue;
          }
          const r = recordApproval(a, by, TERMS, now);
          a = r.approval;
          if (r.complete) {
            // Completed: by staff, or by a tier whose limit covers the amount.
            const tier = CHAIN.tiers.find((t) => t.id === by.tierId);
            expect(by.role === 'operator' || !tier?.upTo || tier.upTo.amount >= cop(pesos).amount).toBe(true);
          } else {
            expect(a.currentTier).toBeGreaterThan(before.currentTier);
            expect(a.currentTier).toBeLessThanOrEqual(a.requiredTier);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: through the lifecycle table, an order leaves AWAITING_APPROVAL only by a covering tier or staff', () => {
  const move = fc.oneof(
    fc.record({ kind: fc.constant('tier' as const), tier: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('staff' as const), reason: fc.boolean() }),
    fc.record({ kind: fc.constant('escalate' as const) }),
  );
  const waiting = (pesos: number): Order => ({
    id: 'ord_1',
    clientId: 'cli_1',
    siteId: 'sit_1',
    category: 'hvac',
    priority: 'P3',
    title: 'AC',
    description: 'x',
    requester: { userId: 'u-req', name: 'R' },
    channel: 'api',
    status: 'AWAITING_APPROVAL',
    providerId: 'prv_1',
    approvedAmount: cop(pesos),
    approval: start(pesos),
    createdAt: FRIDAY_4PM,
    updatedAt: FRIDAY_4PM,
    version: 3,
  });

  it('holds for every amount and sequence of approvals (by any tier, staff with or without a reason) and escalations', () => {
    const left = { byTier: 0, byStaff: 0, escalated: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000_000 }), fc.array(move, { maxLength: 12 }), (pesos, moves) => {
        let order = waiting(pesos);
        for (const m of moves) {
          if (order.status !== 'AWAITING_APPROVAL') break;
          const a = order.approval!;
          try {
            if (m.kind === 'escalate') {
              if (!a.dueAt) continue;
              const at = a.dueAt;
              const tierId = a.tiers[a.currentTier]!.id;
              order = decide(
                order,
                'escalate-approval',
                { userId: 'system', role: 'system' },
                { tierId, dueAt: at, terms: TERMS },
                at,
              ).order;
              expect(order.status).toBe('AWAITING_APPROVAL');
              left.escalated++;
              continue;
            }
            const tier = m.kind === 'tier' ? CHAIN.tiers[m.tier]! : undefined;
            const by: Actor = tier
              ? { userId: `u-${tier.id}`, role: 'client', clientId: 'cli_1' }
              : { userId: 'u-op', role: 'operator' };
            const input = {
              ...(tier ? { approvalTier: tier.id } : {}),
              ...(m.kind === 'staff' && m.reason ? { reason: 'en nombre del cliente' } : {}),
              terms: TERMS,
            };
            const next = decide(order, 'approve', by, input, FRIDAY_4PM).order;
            if (next.status !== 'AWAITING_APPROVAL') {
              expect(next.status).toBe('CONTRACTING');
              // Left by staff with a reason, or by a tier whose limit covers the amount.
              if (tier) expect(!tier.upTo || tier.upTo.amount >= pesos * 100).toBe(true);
              else expect(m.kind === 'staff' && m.reason).toBe(true);
              left[tier ? 'byTier' : 'byStaff']++;
            }
            order = next;
          } catch (err) {
            // A refusal leaves the order as it was.
            expect(err).toBeInstanceOf(OrderRuleError);
          }
        }
      }),
      { numRuns: 300 },
    );
    // The sequences did reach every way out, and escalations.
    expect(Object.values(left).every((n) => n > 0)).toBe(true);
  });
});
