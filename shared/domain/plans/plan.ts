/**
 * A preventive maintenance plan (issue 18): what to do on a site or asset, how often (an RFC 5545
 * rule, recurrence.ts), how its dates meet the business calendar, how far ahead its orders are
 * opened, and optionally a pre-approved amount with a preferred provider. Pure data and rules;
 * occurrences.ts computes its dates. See docs/plans.md.
 */
import type { Money } from '../shared/money';
import { isValidMoney } from '../shared/money';
import type { ServiceCategory } from '../orders/vocabulary';
import { normalizeRecurrence, recurrenceProblem } from './recurrence';

export const BUSINESS_DAY_RULES = ['none', 'skip', 'next-business-day', 'previous-business-day'] as const;
export type BusinessDayRule = (typeof BUSINESS_DAY_RULES)[number];

export const PLAN_STATUSES = ['active', 'paused', 'ended'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** The longest lead time: a year ahead is already more than any maintenance plan asks. */
export const MAX_LEAD_TIME_DAYS = 365;
export const MAX_CHECKLIST_ITEMS = 50;

/** One item of a plan's checklist template; each order of the plan gets a copy to answer. */
export interface ChecklistTemplateItem {
  readonly id: string;
  readonly label: string;
}

/** What the plan's owner decides (and may edit): everything but identity, status and cursor. */
export interface PlanDefinition {
  readonly siteId: string;
  readonly assetCode?: string;
  readonly category: ServiceCategory;
  readonly title: string;
  readonly description: string;
  readonly checklist: readonly ChecklistTemplateItem[];
  /** RFC 5545 RRULE body (`FREQ=MONTHLY;BYDAY=2TU`), canonical form (normalizeRecurrence). */
  readonly rrule: string;
  /** Local date (`YYYY-MM-DD`, the client's zone) the rule starts on: its DTSTART. */
  readonly startDate: string;
  readonly businessDayRule: BusinessDayRule;
  /** The order of an occurrence is opened this many calendar days before its date. */
  readonly leadTimeDays: number;
  /** With an eligible preferred provider, the order goes straight to assignment for this amount. */
  readonly preApproved?: { readonly nte: Money; readonly providerId: string };
}

export interface Plan extends PlanDefinition {
  readonly id: string;
  readonly clientId: string;
  readonly status: PlanStatus;
  /** The requester of the plan's orders: who created the plan. */
  readonly createdBy: { readonly userId: string; readonly name: string; readonly email?: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Increases with every change. */
  readonly version: number;
  /**
   * The first rule date the current definition governs (local date). Set at creation, on an edit
   * (the day after the last generated occurrence: what was generated stays as it was) and on resume
   * (the resume day: what fell due while paused is not opened late).
   */
  readonly effectiveFrom: string;
  /** The cursor: the rule date of the last occurrence whose order exists. */
  readonly generatedThrough?: string;
  /** When the next occurrence's order is due (local date); absent when nothing is left to open. */
  readonly nextDueOn?: string;
}

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isLocalDate(s: string): boolean {
  return LOCAL_DATE.test(s) && new Date(`${s}T00:00:00.000Z`).toISOString().slice(0, 10) === s;
}

/** Every problem of a definition, as field errors (empty when it is acceptable). */
export function definitionProblems(d: PlanDefinition): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const rule = recurrenceProblem(d.rrule);
  if (rule) problems.push({ field: 'rrule', message: rule });
  if (!isLocalDate(d.startDate)) problems.push({ field: 'startDate', message: 'must be a date YYYY-MM-DD' });
  if (!Number.isInteger(d.leadTimeDays) || d.leadTimeDays < 0 || d.leadTimeDays > MAX_LEAD_TIME_DAYS)
    problems.push({ field: 'leadTimeDays', message: `must be an integer 0–${MAX_LEAD_TIME_DAYS}` });
  if (d.checklist.length > MAX_CHECKLIST_ITEMS)
    problems.push({ field: 'checklist', message: `at most ${MAX_CHECKLIST_ITEMS} items` });
  const ids = new Set<string>();
  d.checklist.forEach((item, i) => {
    if (ids.has(item.id)) problems.push({ field: `checklist.${i}.id`, message: 'duplicate item id' });
    ids.add(item.id);
  });
  if (d.preApproved && (!isValidMoney(d.preApproved.nte) || d.preApproved.nte.amount === 0))
    problems.push({ field: 'preApproved.nte', message: 'must be a positive amount in minor units with an ISO 4217 currency' });
  return problems;
}

/** The definition as stored: the rule in canonical form. */
export function normalizeDefinition<D extends PlanDefinition>(d: D): D {
  return { ...d, rrule: normalizeRecurrence(d.rrule) };
}

/** The day after a local date. */
export function dayAfter(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}

export class PlanRuleError extends Error {
  constructor(
    readonly kind: 'illegal' | 'invalid',
    message: string,
    readonly fieldErrors: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'PlanRuleError';
  }
}

export const PLAN_ACTIONS = ['pause', 'resume', 'end'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** From which statuses each action is legal and where it leads. */
const PLAN_MOVES: { readonly [A in PlanAction]: { readonly from: readonly PlanStatus[]; readonly to: PlanStatus } } = {
  pause: { from: ['active'], to: 'paused' },
  resume: { from: ['paused'], to: 'active' },
  end: { from: ['active', 'paused'], to: 'ended' },
};

/**
 * A status change. `today` is the client's local date: a resumed plan governs from today on (the
 * occurrences that fell due while it was paused are not opened late). The caller recomputes
 * `nextDueOn` (occurrences.ts) after any change.
 */
export function movePlan(plan: Plan, action: PlanAction, today: string, now: string): Plan {
  const move = PLAN_MOVES[action];
  if (!move.from.includes(plan.status)) throw new PlanRuleError('illegal', `cannot ${action} a plan that is ${plan.status}`);
  const later = plan.effectiveFrom > today ? plan.effectiveFrom : today;
  return {
    ...plan,
    status: move.to,
    ...(action === 'resume' ? { effectiveFrom: later } : {}),
    updatedAt: now,
    version: plan.version + 1,
  };
}

/**
 * An edit: the new definition governs every occurrence not generated yet — from the day after the
 * cursor (or the plan's start when nothing was generated). Orders already opened keep what they were
 * opened with. An ended plan is not edited.
 */
export function editPlan(plan: Plan, definition: PlanDefinition, now: string): Plan {
  if (plan.status === 'ended') throw new PlanRuleError('illegal', 'an ended plan cannot be edited');
  const problems = definitionProblems(definition);
  if (problems.length) throw new PlanRuleError('invalid', 'invalid plan', problems);
  const effectiveFrom = plan.generatedThrough ? dayAfter(plan.generatedThrough) : plan.effectiveFrom;
  const { assetCode: _a, preApproved: _p, ...kept } = plan;
  return {
    ...kept,
    ...normalizeDefinition(definition),
    effectiveFrom: effectiveFrom > plan.effectiveFrom ? effectiveFrom : plan.effectiveFrom,
    updatedAt: now,
    version: plan.version + 1,
  };
}
