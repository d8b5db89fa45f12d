import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR } from '../../shared/domain/orders/business-calendar';
import { addDays, dueOccurrences, localToday, planOccurrences } from '../../shared/domain/plans/occurrences';
import { editPlan, type Plan, type PlanDefinition } from '../../shared/domain/plans/plan';

/**
 * The exactly-once property of plan generation, on the pure rules: a timer run opens the due
 * occurrences in order, each with a create-only write keyed by its occurrence key, and moves the
 * cursor after each. Whatever the sequence of runs, crashes (a run that stops after an order write
 * and before the cursor write) and edits, the orders are exactly the due occurrences: none twice,
 * none lost.
 */
const RULES = [
  'FREQ=DAILY',
  'FREQ=DAILY;INTERVAL=3',
  'FREQ=WEEKLY;BYDAY=MO',
  'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA',
  'FREQ=MONTHLY;BYDAY=2MO',
  'FREQ=MONTHLY;BYDAY=-1FR',
  'FREQ=MONTHLY;BYMONTHDAY=31',
] as const;
const BUSINESS_DAY_RULES = ['none', 'skip', 'next-business-day', 'previous-business-day'] as const;

const definition = fc.record({
  rrule: fc.constantFrom(...RULES),
  businessDayRule: fc.constantFrom(...BUSINESS_DAY_RULES),
  leadTimeDays: fc.integer({ min: 0, max: 20 }),
});

type Step =
  | { kind: 'run'; advanceDays: number; crashAfter?: number }
  | { kind: 'edit'; def: { rrule: string; businessDayRule: PlanDefinition['businessDayRule']; leadTimeDays: number } };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      advanceDays: fc.integer({ min: 0, max: 12 }),
      crashAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('edit' as const), def: definition }) },
);

const base: PlanDefinition = {
  siteId: 'sit_1',
  category: 'hvac',
  title: 't',
  description: 'd',
  checklist: [],
  rrule: 'FREQ=WEEKLY;BYDAY=MO',
  startDate: '2026-01-01',
  businessDayRule: 'none',
  leadTimeDays: 0,
};

function newPlan(def: Partial<PlanDefinition>, startDate: string): Plan {
  return {
    ...base,
    ...def,
    startDate,
    id: 'pln_P',
    clientId: 'cli_C',
    status: 'active',
    createdBy: { userId: 'u', name: 'u' },
    createdAt: 'now',
    updatedAt: 'now',
    version: 1,
    effectiveFrom: startDate,
  };
}

/**
 * One timer run: the store is create-only by key (a second write of a key is refused and changes
 * nothing); the cursor is written after each order. `crashAfter` = n stops the run right after its
 * n+1-th order write, before that order's cursor write.
 */
function run(plan: Plan, store: Set<string>, today: string, crashAfter?: number): { plan: Plan; creates: number } {
  let p = plan;
  let creates = 0;
  let writes = 0;
  for (const o of dueOccurrences(p, DEFAULT_CALENDAR, today, 1_000)) {
    if (!store.has(o.key)) {
      store.add(o.key);
      creates++;
    }
    if (crashAfter !== undefined && writes++ >= crashAfter) return { plan: p, creates };
    p = { ...p, generatedThrough: o.ruleDate };
  }
  return { plan: p, creates };
}

describe('plan generation is exactly once', () => {
  it('without edits: any runs and crashes open exactly the occurrences due by the last run', () => {
    fc.assert(
      fc.property(
        definition,
        fc.integer({ min: 0, max: 60 }),
        fc.array(
          fc.record({
            advanceDays: fc.integer({ min: 0, max: 15 }),
            crashAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
          }),
          { maxLength: 12 },
        ),
        (def, startOffset, runs) => {
          const startDate = addDays('2026-01-01', startOffset);
          let plan = newPlan(def, startDate);
          const store = new Set<string>();
          let today = addDays(startDate, -5);
          for (const r of [...runs, { advanceDays: 0, crashAfter: undefined }]) {
            today = addDays(today, r.advanceDays);
            const result = run(plan, store, today, r.crashAfter);
            plan = result.plan;
          }
          const expected = planOccurrences(plan, DEFAULT_CALENDAR, { from: startDate, to: addDays(today, def.leadTimeDays + 40) })
            .filter((o) => o.dueOn <= today)
            .map((o) => o.key);
          expect([...store.keys()].sort()).toEqual([...expected].sort());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with edits: crashes change nothing compared with the same runs and edits without crashes', () => {
    fc.assert(
      fc.property(definition, fc.array(step, { maxLength: 14 }), (def, steps) => {
        const play = (withCrashes: boolean) => {
          let plan = newPlan(def, '2026-01-01');
          const store = new Set<string>();
          let today = '2025-12-25';
          for (const s of steps) {
            if (s.kind === 'edit') {
              plan = editPlan(plan, { ...base, ...s.def }, 'now');
              continue;
            }
            today = addDays(today, s.advanceDays);
            // A crashed run is retried by the next timer tick on the same day.
            if (withCrashes && s.crashAfter !== undefined) {
              const crashed = run(plan, store, today, s.crashAfter);
              plan = crashed.plan;
            }
            const r = run(plan, store, today);
            plan = r.plan;
          }
          return { keys: [...store.keys()].sort() };
        };
        const clean = play(false);
        const crashy = play(true);
        expect(crashy.keys).toEqual(clean.keys);
        // Every order is an occurrence its plan had when it was opened: keys are unique rule dates.
        expect(new Set(crashy.keys).size).toBe(crashy.keys.length);
      }),
      { numRuns: 150 },
    );
  });
});

describe('Bogotá dates of UTC instants', () => {
  it('an occurrence becomes due at 05:00 UTC of its due date (00:00 in Bogotá), not at 00:00 UTC', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 86_399_999 }), (dayOffset, msOfDay) => {
        const dueOn = addDays('2026-01-01', dayOffset);
        const plan = newPlan({ rrule: 'FREQ=DAILY', leadTimeDays: 0 }, dueOn);
        const instant = Date.parse(`${dueOn}T00:00:00.000Z`) + msOfDay;
        const today = localToday(new Date(instant).toISOString(), DEFAULT_CALENDAR);
        // Before 05:00 UTC it is still the previous day in Bogotá: nothing of `dueOn` is due yet.
        expect(today).toBe(msOfDay < 5 * 3_600_000 ? addDays(dueOn, -1) : dueOn);
        expect(dueOccurrences(plan, DEFAULT_CALENDAR, today, 5).length).toBe(msOfDay < 5 * 3_600_000 ? 0 : 1);
      }),
      { numRuns: 200 },
    );
  });
});
