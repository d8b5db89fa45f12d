import type { ActorRole } from './refusals';
import { OrderRuleError } from './refusals';
import { approvalRefusal } from './approval';
import { addBusinessHours, type BusinessCalendar } from './business-calendar';
import { SERVICE_CATEGORIES, type ServiceCategory } from './vocabulary';
import { covers, type Money } from '../shared/money';

/**
 * Approval chains per client (issue 17): who approves what amount, in which order, and what
 * happens when a tier does not answer. A chain is data (the client's tiers); every rule on it is a
 * pure function here, which the lifecycle table calls. A client without a chain keeps the single
 * `approvalLimit` of its users (approval.ts): the simplest chain, with no escalation.
 */

export interface ApprovalTier {
  /** Stable id a client user's profile names (`approvalTier`). */
  readonly id: string;
  readonly name: string;
  /** The highest amount this tier approves on its own; absent = unbounded (only the last tier). */
  readonly upTo?: Money;
  /** The tier takes part only for orders of these categories; absent = every category. */
  readonly categories?: readonly ServiceCategory[];
}

export interface ApprovalChain {
  /** Ordered from the lowest tier (asked first) to the highest (the last one is unbounded). */
  readonly tiers: readonly ApprovalTier[];
  /** A tier that has not answered within this many business hours escalates to the next. */
  readonly escalateAfterBusinessHours: number;
}

export const APPROVAL_SUBJECTS = ['quote', 'assignment', 'nte-increase'] as const;
export type ApprovalSubject = (typeof APPROVAL_SUBJECTS)[number];

export const MAX_TIERS = 10;
export const MAX_ESCALATION_HOURS = 24 * 10;

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/**
 * What is wrong with a chain (empty: nothing), as field errors in the body's terms: ids unique,
 * only the last tier unbounded (and it must be, and apply to every category, so that every amount
 * of every category has a tier that covers it), limits positive in the client's currency and
 * strictly increasing among the tiers of each category (a tier never approves less than one below it).
 */
export function approvalChainProblems(chain: ApprovalChain, currency: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { tiers } = chain;
  if (tiers.length === 0) problems.push({ field: 'tiers', message: 'at least one tier' });
  if (tiers.length > MAX_TIERS) problems.push({ field: 'tiers', message: `at most ${MAX_TIERS} tiers` });
  const seen = new Set<string>();
  tiers.forEach((t, i) => {
    const at = `tiers/${i}`;
    if (seen.has(t.id)) problems.push({ field: `${at}/id`, message: `duplicate tier id ${t.id}` });
    seen.add(t.id);
    const last = i === tiers.length - 1;
    if (!t.upTo && !last) problems.push({ field: `${at}/upTo`, message: 'only the last tier may be unbounded' });
    if (t.upTo && last) problems.push({ field: `${at}/upTo`, message: 'the last tier must be unbounded (no upTo)' });
    if (last && t.categories) problems.push({ field: `${at}/categories`, message: 'the last tier applies to every category' });
    if (t.upTo && t.upTo.currency !== currency)
      problems.push({ field: `${at}/upTo/currency`, message: `must be the client's currency (${currency})` });
    if (t.upTo && t.upTo.amount <= 0) problems.push({ field: `${at}/upTo/amount`, message: 'must be positive' });
    if (t.categories && (t.categories.length === 0 || new Set(t.categories).size !== t.categories.length))
      problems.push({ field: `${at}/categories`, message: 'a non-empty list without repeats' });
  });
  // Overlaps: per category, the bounded limits must grow strictly from one tier to the next.
  const overlapping = new Set<number>();
  for (const category of SERVICE_CATEGORIES) {
    let below: Money | undefined;
    tiers.forEach((t, i) => {
      if (!appliesTo(t, category) || !t.upTo) return;
      if (below && t.upTo.amount <= below.amount) overlapping.add(i);
      below = t.upTo;
    });
  }
  for (const i of overlapping)
    problems.push({ field: `tiers/${i}/upTo`, message: 'must be above the limit of every lower tier it shares a category with' });
  const h = chain.escalateAfterBusinessHours;
  if (!Number.isInteger(h) || h <= 0 || h > MAX_ESCALATION_HOURS)
    problems.push({ field: 'escalateAfterBusinessHours', message: `a whole number of hours, 1 to ${MAX_ESCALATION_HOURS}` });
  return problems;
}

const appliesTo = (t: ApprovalTier, category: ServiceCategory) => !t.categories || t.categories.includes(category);

/** The tiers that take part for an order of this category, lowest first. */
export function tiersFor(chain: ApprovalChain, category: ServiceCategory): ApprovalTier[] {
  return chain.tiers.filter((t) => appliesTo(t, category));
}

/** Index (in `tiers`) of the first tier whose limit covers the amount: the tier that must approve it. */
export function coveringTier(tiers: readonly ApprovalTier[], amount: Money): number {
  const i = tiers.findIndex((t) => !t.upTo || covers(t.upTo, amount));
  // A valid chain ends unbounded; a snapshot without one falls back to its top tier.
  return i === -1 ? tiers.length - 1 : i;
}

/** One approval recorded on an order: a tier's user, or staff on the client's behalf (with a reason). */
export interface ApprovalStep {
  /** Absent when staff approved on the client's behalf. */
  readonly tierId?: string;
  readonly userId: string;
  readonly role: ActorRole;
  readonly at: string;
  readonly reason?: string;
}

export interface ApprovalEscalation {
  readonly fromTierId: string;
  /** Absent: the chain ran out of tiers and the operators were asked instead. */
  readonly toTierId?: string;
  readonly at: string;
}

/**
 * An order's approval in progress (or its last one, with `outcome`). `mode: 'approval-limit'` is a
 * client without a chain: one step, by a client user whose approval limit covers the amount or by staff.
 */
export interface OrderApproval {
  readonly subject: ApprovalSubject;
  readonly mode: 'chain' | 'approval-limit';
  readonly amount: Money;
  /** NTE increases: the NTE before the request. */
  readonly previousAmount?: Money;
  /** NTE increases: what the provider sent. */
  readonly request?: { readonly reason: string; readonly attachmentIds: readonly string[]; readonly by: string };
  /** The tiers taking part for the order's category, as configured when the approval started. */
  readonly tiers: readonly ApprovalTier[];
  /** Index in `tiers` of the tier that must approve (the first covering the amount). */
  readonly requiredTier: number;
  /** Index in `tiers` of the tier asked now. */
  readonly currentTier: number;
  readonly escalateAfterBusinessHours?: number;
  /** When the current tier escalates; absent once the operators were asked (or without a chain). */
  readonly dueAt?: string;
  /** Set when the operators were asked after the last tier did not answer. */
  readonly escalatedToOperators?: boolean;
  readonly approvals: readonly ApprovalStep[];
  readonly escalations: readonly ApprovalEscalation[];
  readonly requestedAt: string;
  /** `withdrawn`: the order was cancelled while the approval was pending; nobody may answer it any more. */
  readonly outcome?: 'approved' | 'rejected' | 'withdrawn';
  readonly decidedAt?: string;
}

export interface ApprovalTerms {
  /** Absent: the client has no chain (approval-limit mode). */
  readonly chain?: ApprovalChain;
  readonly calendar: BusinessCalendar;
}

export interface ApprovalStart {
  readonly subject: ApprovalSubject;
  readonly amount: Money;
  readonly category: ServiceCategory;
  readonly previousAmount?: Money;
  readonly request?: OrderApproval['request'];
}

/** Starts an approval: the lowest tier of the category is asked first, with its due time. */
export function startApproval(start: ApprovalStart, terms: ApprovalTerms, now: string): OrderApproval {
  const base = {
    subject: start.subject,
    amount: start.amount,
    ...(start.previousAmount ? { previousAmount: start.previousAmount } : {}),
    ...(start.request ? { request: start.request } : {}),
    approvals: [],
    escalations: [],
    requestedAt: now,
  };
  if (!terms.chain) return { ...base, mode: 'approval-limit', tiers: [], requiredTier: 0, currentTier: 0 };
  const tiers = tiersFor(terms.chain, start.category);
  const hours = terms.chain.escalateAfterBusinessHours;
  return {
    ...base,
    mode: 'chain',
    tiers,
    requiredTier: coveringTier(tiers, start.amount),
    currentTier: 0,
    escalateAfterBusinessHours: hours,
    dueAt: addBusinessHours(now, hours, terms.calendar),
  };
}

export const isPending = (a: OrderApproval | undefined): a is OrderApproval => a !== undefined && a.outcome === undefined;

/** Who approves (or rejects): the caller, with what the application read of its profile. */
export interface Approver {
  readonly userId: string;
  readonly role: ActorRole;
  /** Client users: the tier their profile names. */
  readonly tierId?: string;
  /** Client users: their approval limit (approval-limit mode). */
  readonly approvalLimit?: Money;
  /** Staff acting on the client's behalf: why (required in chain mode). */
  readonly reason?: string;
}

const isStaffRole = (role: ActorRole) => role === 'admin' || role === 'operator';

/** Why this approver may not approve now (undefined: it may). */
export function approvalStepRefusal(a: OrderApproval, by: Approver): OrderRuleError | undefined {
  if (isStaffRole(by.role)) {
    return a.mode === 'chain' && !by.reason?.trim()
      ? new OrderRuleError('guard', 'approving on the client’s behalf needs a reason', {}, [
          { field: 'reason', message: 'required when staff approve for a client with an approval chain' },
        ])
      : undefined;
  }
  if (by.role !== 'client') return new OrderRuleError('forbidden', `role ${by.role} may not approve`);
  if (a.mode === 'approval-limit') return approvalRefusal(a.amount, by, by.approvalLimit);
  const tier = a.tiers.findIndex((t) => t.id === by.tierId);
  if (tier === -1)
    return new OrderRuleError('approval-limit', 'you are not part of this order’s approval chain; an operator can approve it', {
      amount: a.amount,
      tierId: by.tierId ?? null,
    });
  if (tier < a.currentTier)
    return new OrderRuleError('approval-limit', 'the approval has moved past your tier', {
      amount: a.amount,
      tierId: by.tierId ?? null,
      currentTier: a.tiers[a.currentTier]?.id ?? null,
    });
  return undefined;
}

export interface StepResult {
  readonly approval: OrderApproval;
  /** The approval is complete: the amount is approved. */
  readonly complete: boolean;
}

/**
 * Records an approval (refusals from `approvalStepRefusal` first): staff, a user whose limit covers
 * the amount (approval-limit mode) or a user of a tier at or above the covering one completes it; a
 * user of a lower tier records its step and the tier above it is asked next, with a new due time.
 */
export function recordApproval(a: OrderApproval, by: Approver, terms: ApprovalTerms, now: string): StepResult {
  const refused = approvalStepRefusal(a, by);
  if (refused) throw refused;
  const tier = a.tiers.findIndex((t) => t.id === by.tierId);
  const staff = isStaffRole(by.role);
  const step: ApprovalStep = {
    ...(!staff && tier >= 0 ? { tierId: by.tierId } : {}),
    userId: by.userId,
    role: by.role,
    at: now,
    ...(staff && by.reason ? { reason: by.reason } : {}),
  };
  const approvals = [...a.approvals, step];
  if (staff || a.mode === 'approval-limit' || tier >= a.requiredTier) {
    const { dueAt: _done, ...rest } = a;
    return { approval: { ...rest, approvals, outcome: 'approved', decidedAt: now }, complete: true };
  }
  const next = tier + 1;
  return {
    approval: { ...a, approvals, currentTier: next, dueAt: dueFrom(a, terms, now) },
    complete: false,
  };
}

function dueFrom(a: OrderApproval, terms: ApprovalTerms, now: string): string {
  return addBusinessHours(now, a.escalateAfterBusinessHours ?? terms.chain?.escalateAfterBusinessHours ?? 1, terms.calendar);
}

/**
 * Whether the scheduled escalation of (tier, due time) applies to this approval now: `stale` when
 * the approval ended or moved on (the message is no longer needed), `early` before the due time.
 */
export function escalationRefusal(
  a: OrderApproval | undefined,
  tierId: string,
  dueAt: string,
  now: string,
): 'stale' | 'early' | undefined {
  if (!isPending(a) || a.mode !== 'chain' || askedTier(a)?.id !== tierId || a.dueAt !== dueAt) return 'stale';
  if (Date.parse(now) < Date.parse(dueAt)) return 'early';
  return undefined;
}

/**
 * The current tier did not answer in time: the next tier of the chain is asked (with a new due
 * time), or, above the last tier, the operators are (no further escalation).
 */
export function escalateApproval(a: OrderApproval, terms: ApprovalTerms, now: string): OrderApproval {
  const from = a.tiers[a.currentTier] as ApprovalTier;
  const next = a.currentTier + 1;
  if (next < a.tiers.length) {
    return {
      ...a,
      currentTier: next,
      dueAt: dueFrom(a, terms, now),
      escalations: [...a.escalations, { fromTierId: from.id, toTierId: (a.tiers[next] as ApprovalTier).id, at: now }],
    };
  }
  const { dueAt: _asked, ...rest } = a;
  return { ...rest, escalatedToOperators: true, escalations: [...a.escalations, { fromTierId: from.id, at: now }] };
}

/**
 * Why this caller may not reject the approval: staff may (with their reason); a client user may
 * in approval-limit mode, or when its tier is part of the chain.
 */
export function rejectionRefusal(a: OrderApproval, by: Approver): OrderRuleError | undefined {
  if (isStaffRole(by.role) || a.mode === 'approval-limit') return undefined;
  return a.tiers.some((t) => t.id === by.tierId)
    ? undefined
    : new OrderRuleError('approval-limit', 'you are not part of this order’s approval chain', { tierId: by.tierId ?? null });
}

export function rejectApproval(a: OrderApproval, now: string): OrderApproval {
  const { dueAt: _done, ...rest } = a;
  return { ...rest, outcome: 'rejected', decidedAt: now };
}

/**
 * The pending approval of an order being cancelled: closed, so that it no longer reads as waiting
 * for an answer (nor escalates: its `dueAt` goes). An approval already decided stays as it was.
 */
export function withdrawApproval(a: OrderApproval, now: string): OrderApproval {
  if (!isPending(a)) return a;
  const { dueAt: _done, ...rest } = a;
  return { ...rest, outcome: 'withdrawn', decidedAt: now };
}

/** The tier asked now (undefined once the operators were asked, or without a chain). */
export function askedTier(a: OrderApproval): ApprovalTier | undefined {
  return a.mode === 'chain' && !a.escalatedToOperators ? a.tiers[a.currentTier] : undefined;
}
