import { describe, expect, it } from 'vitest';
import { businessCalendar, DEFAULT_CALENDAR } from '../../shared/domain/orders/business-calendar';
import {
  applyBusinessDayRule,
  dueOccurrences,
  localToday,
  nextDueOn,
  planOccurrences,
  upcomingOccurrences,
  type Occurrence,
} from '../../shared/domain/plans/occurrences';
import {
  definitionProblems,
  editPlan,
  movePlan,
  PlanRuleError,
  type Plan,
  type PlanDefinition,
} from '../../shared/domain/plans/plan';
import { recurrenceProblem } from '../../shared/domain/plans/recurrence';

const definition: PlanDefinition = {
  siteId: 'sit_X',
  category: 'hvac',
  title: 'Filter change',
  description: 'Change the AC filters',
  checklist: [{ id: 'filters', label: 'Filters changed' }],
  rrule: 'FREQ=WEEKLY;BYDAY=MO',
  startDate: '2026-01-01',
  businessDayRule: 'none',
  leadTimeDays: 0,
};

function plan(over: Partial<Plan> = {}): Plan {
  return {
    ...definition,
    id: 'pln_1',
    clientId: 'cli_1',
    status: 'active',
    createdBy: { userId: 'u1', name: 'Ana' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    effectiveFrom: '2026-01-01',
    ...over,
  };
}

const dates = (os: readonly Occurrence[]) => os.map((o) => o.date);

describe('recurrence rules', () => {
  it('accepts the rules a plan needs: every N days/weeks/months, weekdays, the n-th weekday', () => {
    for (const r of [
      'FREQ=DAILY;INTERVAL=3',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH',
      'FREQ=MONTHLY;BYDAY=2TU',
      'FREQ=MONTHLY;BYDAY=-1FR',
      'RRULE:freq=monthly;bymonthday=15',
      'FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=1;COUNT=3',
    ])
      expect(recurrenceProblem(r), r).toBeUndefined();
  });

  it('refuses what the package would loop on or fail on, and parts a plan has no use for', () => {
    expect(recurrenceProblem('FREQ=DAILY;INTERVAL=-1')).toMatch(/INTERVAL/);
    expect(recurrenceProblem('FREQ=WEEKLY;BYDAY=XX')).toMatch(/BYDAY/);
    expect(recurrenceProblem('FREQ=HOURLY')).toMatch(/FREQ/);
    expect(recurrenceProblem('INTERVAL=2')).toMatch(/FREQ is required/);
    expect(recurrenceProblem('FREQ=DAILY;BYHOUR=3')).toMatch(/unsupported part "BYHOUR"/);
    expect(recurrenceProblem('FREQ=DAILY;COUNT=2;UNTIL=20270101')).toMatch(/exclude/);
    expect(recurrenceProblem('garbage')).toBeDefined();
    expect(recurrenceProblem('')).toBe('empty rule');
  });

  it('a definition with a bad rule, date or lead time has one field error per problem', () => {
    const problems = definitionProblems({ ...definition, rrule: 'FREQ=NEVER', startDate: '2026-02-30', leadTimeDays: -1 });
    expect(problems.map((p) => p.field)).toEqual(['rrule', 'startDate', 'leadTimeDays']);
    expect(
      definitionProblems({
        ...definition,
        checklist: [
          { id: 'a', label: 'A' },
          { id: 'a', label: 'B' },
        ],
      }),
    ).toEqual([{ field: 'checklist.1.id', message: 'duplicate item id' }]);
  });
});

describe('occurrences', () => {
  it('a weekly rule gives one Monday a week, keyed by plan and rule date', () => {
    const os = planOccurrences(plan(), DEFAULT_CALENDAR, { from: '2026-01-01', to: '2026-02-01' });
    expect(os.map((o) => o.key)).toEqual(['2026-01-05', '2026-01-12', '2026-01-19', '2026-01-26'].map((d) => `pln_1@${d}`));
  });

  it('the n-th weekday of a month, including the last one at a month end', () => {
    const second = planOccurrences(plan({ rrule: 'FREQ=MONTHLY;BYDAY=2TU' }), DEFAULT_CALENDAR, {
      from: '2026-01-01',
      to: '2026-04-01',
    });
    expect(dates(second)).toEqual(['2026-01-13', '2026-02-10', '2026-03-10']);
    const last = planOccurrences(plan({ rrule: 'FREQ=MONTHLY;BYDAY=-1FR' }), DEFAULT_CALENDAR, {
      from: '2026-01-01',
      to: '2026-06-01',
    });
    expect(dates(last)).toEqual(['2026-01-30', '2026-02-27', '2026-03-27', '2026-04-24', '2026-05-29']);
    // The 31st exists only in some months: RFC 5545 skips the others rather than clamping.
    const monthEnd = planOccurrences(plan({ rrule: 'FREQ=MONTHLY;BYMONTHDAY=31' }), DEFAULT_CALENDAR, {
      from: '2026-01-01',
      to: '2026-06-01',
    });
    expect(dates(monthEnd)).toEqual(['2026-01-31', '2026-03-31', '2026-05-31']);
  });

  it('a Colombian holiday moves an occurrence that keeps its identity (Monday 12 January 2026, Reyes Magos)', () => {
    const next = planOccurrences(plan({ businessDayRule: 'next-business-day' }), DEFAULT_CALENDAR, {
      from: '2026-01-10',
      to: '2026-01-20',
    });
    expect(next).toEqual([
      { key: 'pln_1@2026-01-12', ruleDate: '2026-01-12', date: '2026-01-13', dueOn: '2026-01-13' },
      { key: 'pln_1@2026-01-19', ruleDate: '2026-01-19', date: '2026-01-19', dueOn: '2026-01-19' },
    ]);
    const previous = planOccurrences(plan({ businessDayRule: 'previous-business-day' }), DEFAULT_CALENDAR, {
      from: '2026-01-10',
      to: '2026-01-13',
    });
    expect(dates(previous)).toEqual(['2026-01-09']);
    const skipped = planOccurrences(plan({ businessDayRule: 'skip' }), DEFAULT_CALENDAR, {
      from: '2026-01-10',
      to: '2026-01-20',
    });
    expect(dates(skipped)).toEqual(['2026-01-19']);
    const none = planOccurrences(plan(), DEFAULT_CALENDAR, { from: '2026-01-10', to: '2026-01-13' });
    expect(dates(none)).toEqual(['2026-01-12']);
  });

  it('Holy Week: Thursday and Friday are holidays, a move crosses the weekend too', () => {
    expect(applyBusinessDayRule('2026-04-02', 'next-business-day', DEFAULT_CALENDAR)).toBe('2026-04-06');
    expect(applyBusinessDayRule('2026-04-05', 'previous-business-day', DEFAULT_CALENDAR)).toBe('2026-04-01');
  });

  it('two rule dates moved onto one day are one visit: a daily rule’s weekend goes to Monday once', () => {
    const os = planOccurrences(plan({ rrule: 'FREQ=DAILY', businessDayRule: 'next-business-day' }), DEFAULT_CALENDAR, {
      from: '2026-01-16',
      to: '2026-01-21',
    });
    expect(os.map((o) => [o.ruleDate, o.date])).toEqual([
      ['2026-01-16', '2026-01-16'],
      ['2026-01-17', '2026-01-19'],
      ['2026-01-20', '2026-01-20'],
    ]);
  });

  it('the lead time opens the order that many calendar days before the date', () => {
    const [o] = planOccurrences(plan({ leadTimeDays: 7 }), DEFAULT_CALENDAR, { from: '2026-01-05', to: '2026-01-06' });
    expect(o).toMatchObject({ date: '2026-01-05', dueOn: '2025-12-29' });
  });

  it('due occurrences: after the cursor, due by today, in order, within the limit', () => {
    const p = plan({ leadTimeDays: 3, generatedThrough: '2026-01-05' });
    expect(dueOccurrences(p, DEFAULT_CALENDAR, '2026-01-16', 10).map((o) => o.ruleDate)).toEqual(['2026-01-12', '2026-01-19']);
    expect(dueOccurrences(p, DEFAULT_CALENDAR, '2026-01-15', 10).map((o) => o.ruleDate)).toEqual(['2026-01-12']);
    expect(dueOccurrences(p, DEFAULT_CALENDAR, '2026-03-01', 2).map((o) => o.ruleDate)).toEqual(['2026-01-12', '2026-01-19']);
  });

  it('upcoming occurrences and the next due date follow the cursor and the status', () => {
    const p = plan({ generatedThrough: '2026-01-12' });
    expect(upcomingOccurrences(p, DEFAULT_CALENDAR, '2026-01-12', 2).map((o) => o.date)).toEqual(['2026-01-19', '2026-01-26']);
    expect(nextDueOn(p, DEFAULT_CALENDAR, '2026-01-12')).toBe('2026-01-19');
    expect(nextDueOn({ ...p, status: 'paused' }, DEFAULT_CALENDAR, '2026-01-12')).toBeUndefined();
    expect(
      nextDueOn(plan({ rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=2', generatedThrough: '2026-01-12' }), DEFAULT_CALENDAR, '2026-01-12'),
    ).toBeUndefined();
  });

  it('today is the Bogotá date: 03:00 UTC is still the day before, 05:00 UTC is the day', () => {
    expect(localToday('2026-01-12T03:00:00.000Z', DEFAULT_CALENDAR)).toBe('2026-01-11');
    expect(localToday('2026-01-12T05:00:00.000Z', DEFAULT_CALENDAR)).toBe('2026-01-12');
    const p = plan({ startDate: '2026-01-12', effectiveFrom: '2026-01-12' });
    expect(dueOccurrences(p, DEFAULT_CALENDAR, localToday('2026-01-12T04:59:59.999Z', DEFAULT_CALENDAR), 5)).toEqual([]);
    expect(dueOccurrences(p, DEFAULT_CALENDAR, localToday('2026-01-12T05:00:00.000Z', DEFAULT_CALENDAR), 5)).toHaveLength(1);
    // A UTC calendar sees the date at midnight UTC.
    expect(localToday('2026-01-12T00:00:00.000Z', businessCalendar({ timeZone: 'UTC' }))).toBe('2026-01-12');
  });
});

describe('plan status and edits', () => {
  it('pause, resume and end move the status; resume governs from the resume day', () => {
    const paused = movePlan(plan(), 'pause', '2026-02-01', 'now');
    expect(paused.status).toBe('paused');
    const resumed = movePlan(paused, 'resume', '2026-03-01', 'now');
    expect(resumed).toMatchObject({ status: 'active', effectiveFrom: '2026-03-01', version: 3 });
    expect(() => movePlan(resumed, 'resume', '2026-03-01', 'now')).toThrow(PlanRuleError);
    const ended = movePlan(resumed, 'end', '2026-03-02', 'now');
    expect(() => movePlan(ended, 'pause', '2026-03-02', 'now')).toThrow(/ended/);
    expect(() => editPlan(ended, definition, 'now')).toThrow(/ended/);
  });

  it('an edit governs from the day after the cursor: generated occurrences stay, later ones follow the new rule', () => {
    const edited = editPlan(plan({ generatedThrough: '2026-01-12' }), { ...definition, rrule: 'FREQ=WEEKLY;BYDAY=WE' }, 'now');
    expect(edited.effectiveFrom).toBe('2026-01-13');
    expect(upcomingOccurrences(edited, DEFAULT_CALENDAR, '2026-01-12', 2).map((o) => o.date)).toEqual([
      '2026-01-14',
      '2026-01-21',
    ]);
    expect(() => editPlan(plan(), { ...definition, rrule: 'FREQ=DAILY;INTERVAL=0' }, 'now')).toThrow(PlanRuleError);
  });
});
