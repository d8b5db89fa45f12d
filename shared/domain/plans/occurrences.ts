/**
 * A plan's occurrences: the dates of its rule (recurrence.ts), moved or dropped by its business-day
 * rule on the client's calendar (orders/business-calendar.ts, Colombian holidays by default), each
 * with the local date its order is due (`leadTimeDays` before). Pure: the timer asks `dueOccurrences`
 * which orders to open now, the API asks `upcomingOccurrences` what comes next.
 *
 * Identity: an occurrence is keyed by its plan and its ORIGINAL rule date, never by the date it was
 * moved to, so a holiday moving it (or a calendar update moving it again) never makes it a new one.
 * Two rule dates moved onto the same day (a daily rule's Saturday and Sunday both moved to Monday)
 * are one visit: the later is dropped, the earlier keeps the day.
 *
 * Ordering: moving to the next or previous business day never reorders dates, and skipping only
 * drops some, so due dates are non-decreasing in rule-date order. The timer can therefore open
 * orders in rule-date order and keep a single cursor: the last rule date whose order exists.
 */
import { isBusinessDay, type BusinessCalendar } from '../orders/business-calendar';
import { dayAfter, type Plan, type PlanDefinition } from './plan';
import { recurrence } from './recurrence';

export interface Occurrence {
  /** `<plan id>@<rule date>`: what makes the order of this occurrence one and the same across runs. */
  readonly key: string;
  /** The date the rule gives (local `YYYY-MM-DD`). */
  readonly ruleDate: string;
  /** The date the work is planned for, after the business-day rule. */
  readonly date: string;
  /** The local date from which its order is opened: `date − leadTimeDays`. */
  readonly dueOn: string;
}

type Schedule = Pick<Plan, 'id' | 'effectiveFrom' | 'generatedThrough'> &
  Pick<PlanDefinition, 'rrule' | 'startDate' | 'businessDayRule' | 'leadTimeDays'>;

/** The longest run of non-business days a move can cross, with margin (Holy Week is four). */
const MAX_MOVE_DAYS = 31;
/** How far ahead `upcomingOccurrences` looks before it gives up (a rule with COUNT or UNTIL ends). */
const HORIZON_YEARS = 10;

export function occurrenceKey(planId: string, ruleDate: string): string {
  return `${planId}@${ruleDate}`;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const maxDate = (...dates: (string | undefined)[]): string =>
  dates.filter((d): d is string => d !== undefined).reduce((a, b) => (a > b ? a : b));

/** The business-day rule applied to one date: the day of the work, or undefined when skipped. */
export function applyBusinessDayRule(
  date: string,
  rule: PlanDefinition['businessDayRule'],
  cal: BusinessCalendar,
): string | undefined {
  if (rule === 'none' || isBusinessDay(date, cal)) return date;
  if (rule === 'skip') return undefined;
  const step = rule === 'next-business-day' ? 1 : -1;
  let d = date;
  for (let i = 0; i < MAX_MOVE_DAYS * 12; i++) {
    d = addDays(d, step);
    if (isBusinessDay(d, cal)) return d;
  }
  throw new RangeError(`no business day near ${date}`);
}

/** The first rule date the plan's current definition may still produce. */
function lowerBound(s: Schedule): string {
  return maxDate(s.startDate, s.effectiveFrom, s.generatedThrough ? dayAfter(s.generatedThrough) : undefined);
}

/**
 * Occurrences whose rule date is in [from, to) and at or after the definition's start and
 * `effectiveFrom` (the cursor is not applied: generated ones are included), in rule-date order.
 */
export function planOccurrences(
  s: Omit<Schedule, 'generatedThrough'>,
  cal: BusinessCalendar,
  window: { readonly from: string; readonly to: string },
): Occurrence[] {
  const floor = maxDate(s.startDate, s.effectiveFrom);
  const from = maxDate(window.from, floor);
  const rule = recurrence(s.rrule, s.startDate);
  const ruleDates = rule.between(from, window.to);
  const before = ruleDates.length ? rule.before(ruleDates[0] as string) : undefined;
  let previous = before && before >= floor ? applyBusinessDayRule(before, s.businessDayRule, cal) : undefined;
  const found: Occurrence[] = [];
  for (const ruleDate of ruleDates) {
    const date = applyBusinessDayRule(ruleDate, s.businessDayRule, cal);
    if (date === undefined || date === previous) continue;
    previous = date;
    found.push({ key: occurrenceKey(s.id, ruleDate), ruleDate, date, dueOn: addDays(date, -s.leadTimeDays) });
  }
  return found;
}

/**
 * The occurrences whose order should exist by `today` (local date) and does not yet: after the
 * cursor, due on or before today, in rule-date order, at most `limit`. A prefix of the ungenerated
 * ones (due dates never decrease), so opening them in order and moving the cursor after each one
 * never leaves a gap.
 */
export function dueOccurrences(s: Schedule, cal: BusinessCalendar, today: string, limit: number): Occurrence[] {
  const to = addDays(today, s.leadTimeDays + MAX_MOVE_DAYS + 1);
  const due: Occurrence[] = [];
  for (const o of planOccurrences(s, cal, { from: lowerBound(s), to })) {
    if (o.dueOn > today || due.length >= limit) break;
    due.push(o);
  }
  return due;
}

/** The next `count` occurrences not generated yet, in rule-date order. */
export function upcomingOccurrences(s: Schedule, cal: BusinessCalendar, today: string, count: number): Occurrence[] {
  const found: Occurrence[] = [];
  let from = lowerBound(s);
  const end = addDays(maxDate(today, from), HORIZON_YEARS * 366);
  while (found.length < count && from < end) {
    const to = addDays(from, 366);
    found.push(...planOccurrences(s, cal, { from, to }).slice(0, count - found.length));
    from = to;
  }
  return found;
}

/** When the plan's next order is due; undefined when the plan is not active or its rule has ended. */
export function nextDueOn(s: Schedule & Pick<Plan, 'status'>, cal: BusinessCalendar, today: string): string | undefined {
  if (s.status !== 'active') return undefined;
  return upcomingOccurrences(s, cal, today, 1)[0]?.dueOn;
}

/**
 * Whether the plan has nothing left to open, ever: its rule ends (COUNT or UNTIL) and no occurrence
 * remains after the cursor — the last one's order exists, or the business-day rule dropped the rest.
 * A rule without end never runs out (its next date may lie beyond any horizon, but it exists).
 */
export function hasRunOut(s: Schedule, cal: BusinessCalendar): boolean {
  const rule = recurrence(s.rrule, s.startDate);
  if (!rule.finite) return false;
  const last = rule.last();
  const from = lowerBound(s);
  return last === undefined || from > last || planOccurrences(s, cal, { from, to: dayAfter(last) }).length === 0;
}

/**
 * The plan as it is stored after any change (creation, edit, status action, a cursor move): its next
 * due date recomputed, and an active plan whose rule has run out ended — by itself, like the `end`
 * action, so it no longer reads as active with nothing due (docs/plans.md, "Statuses").
 */
export function scheduled(plan: Plan, cal: BusinessCalendar, today: string, now: string): Plan {
  const { nextDueOn: _old, ...rest } = plan;
  if (plan.status === 'active' && hasRunOut(plan, cal))
    return { ...rest, status: 'ended', updatedAt: now, version: plan.version + 1 };
  const next = nextDueOn(plan, cal, today);
  return next ? { ...rest, nextDueOn: next } : rest;
}

/** The calendar's local date of an instant: the "today" that due dates are compared with. */
export function localToday(nowIso: string, cal: BusinessCalendar): string {
  return new Date(Date.parse(nowIso) + cal.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}
