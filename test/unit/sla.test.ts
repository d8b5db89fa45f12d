import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  businessCalendar,
  colombianHolidays,
  DEFAULT_CALENDAR,
  easterSunday,
  isBusinessDay,
  nextBusinessInstant,
  UnsupportedTimeZoneError,
} from '../../shared/domain/orders/business-calendar';
import {
  clockStatus,
  DEFAULT_SLA_POLICY,
  evaluate,
  mergePolicy,
  nextCheckTimes,
  onScheduled,
  pause,
  reprioritize,
  resume,
  slaDueTimes,
  SlaPolicyError,
  slaStatus,
  startSla,
  stop,
  type SlaEvent,
  type SlaState,
} from '../../shared/domain/orders/sla';

/** Bogotá local time (UTC−5) → UTC ISO, computed independently of the code under test. */
const bog = (local: string) => new Date(`${local}:00.000-05:00`).toISOString();
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const cal = DEFAULT_CALENDAR;
const P = DEFAULT_SLA_POLICY;

describe('Colombian public holidays', () => {
  it('2025 matches the published list (San Pedro and Sagrado Corazón share Monday June 30)', () => {
    expect(colombianHolidays(2025)).toEqual([
      '2025-01-01',
      '2025-01-06',
      '2025-03-24',
      '2025-04-17',
      '2025-04-18',
      '2025-05-01',
      '2025-06-02',
      '2025-06-23',
      '2025-06-30',
      '2025-07-20',
      '2025-08-07',
      '2025-08-18',
      '2025-10-13',
      '2025-11-03',
      '2025-11-17',
      '2025-12-08',
      '2025-12-25',
    ]);
  });

  it('2026 matches the published list', () => {
    expect(colombianHolidays(2026)).toEqual([
      '2026-01-01',
      '2026-01-12',
      '2026-03-23',
      '2026-04-02',
      '2026-04-03',
      '2026-05-01',
      '2026-05-18',
      '2026-06-08',
      '2026-06-15',
      '2026-06-29',
      '2026-07-13', // Virgen de Chiquinquirá, Ley 2578 de 2026
      '2026-07-20',
      '2026-08-07',
      '2026-08-17',
      '2026-10-12',
      '2026-11-02',
      '2026-11-16',
      '2026-12-08',
      '2026-12-25',
    ]);
  });

  it('2024 matches the published list', () => {
    expect(colombianHolidays(2024)).toEqual([
      '2024-01-01',
      '2024-01-08',
      '2024-03-25',
      '2024-03-28',
      '2024-03-29',
      '2024-05-01',
      '2024-05-13',
      '2024-06-03',
      '2024-06-10',
      '2024-07-01',
      '2024-07-20',
      '2024-08-07',
      '2024-08-19',
      '2024-10-14',
      '2024-11-04',
      '2024-11-11',
      '2024-12-08',
      '2024-12-25',
    ]);
  });

  it('computes Easter Sunday (Gregorian computus), including the extreme dates', () => {
    expect(easterSunday(2008)).toBe('2008-03-23');
    expect(easterSunday(2011)).toBe('2011-04-24');
    expect(easterSunday(2024)).toBe('2024-03-31');
    expect(easterSunday(2025)).toBe('2025-04-20');
    expect(easterSunday(2026)).toBe('2026-04-05');
    expect(easterSunday(2027)).toBe('2027-03-28');
    expect(easterSunday(2038)).toBe('2038-04-25'); // latest possible
    expect(easterSunday(2285)).toBe('2285-03-22'); // earliest possible
  });

  it('moves the Ley Emiliani holidays to the following Monday, and leaves those already on a Monday', () => {
    const h26 = colombianHolidays(2026);
    expect(h26).toContain('2026-01-12'); // Reyes: Tuesday Jan 6 → Monday Jan 12
    expect(h26).not.toContain('2026-01-06');
    expect(h26).toContain('2026-03-23'); // San José: Thursday Mar 19 → Monday Mar 23
    expect(h26).not.toContain('2026-03-19');
    expect(h26).toContain('2026-06-29'); // San Pedro: already a Monday
    expect(h26).toContain('2026-08-17'); // Asunción: Saturday Aug 15 → Monday Aug 17
    expect(h26).not.toContain('2026-08-15');
    expect(h26).toContain('2026-11-02'); // Todos los Santos: Sunday Nov 1 → Monday Nov 2
    expect(colombianHolidays(2025)).toContain('2025-01-06'); // Reyes on a Monday stays
    // Every moved holiday is a Monday at most six days after its nominal date, for many years.
    for (let year = 2000; year <= 2060; year++) {
      const holidays = colombianHolidays(year);
      for (const [m, d] of [
        [1, 6],
        [3, 19],
        [6, 29],
        [8, 15],
        [10, 12],
        [11, 1],
        [11, 11],
      ] as const) {
        const nominal = Date.UTC(year, m - 1, d);
        const moved = holidays.filter((h) => {
          const t = Date.parse(`${h}T00:00:00Z`);
          return t >= nominal && t < nominal + 7 * 24 * HOUR && new Date(t).getUTCDay() === 1;
        });
        expect(moved.length, `${year}-${m}-${d}`).toBeGreaterThanOrEqual(1);
        expect(holidays, `${year}-${m}-${d} itself`).toContain(moved[0]);
        if (new Date(nominal).getUTCDay() !== 1) expect(holidays).not.toContain(new Date(nominal).toISOString().slice(0, 10));
      }
    }
  });

  it('keeps the fixed holidays on their date, even on a weekend', () => {
    const h22 = colombianHolidays(2022);
    expect(h22).toContain('2022-05-01'); // a Sunday
    expect(h22).not.toContain('2022-05-02');
    const h27 = colombianHolidays(2027);
    expect(h27).toContain('2027-12-25'); // a Saturday
    expect(h27).not.toContain('2027-12-27');
    expect(h27).toContain('2027-08-07'); // a Saturday
  });

  it('places the Easter-based holidays: Holy Thursday and Good Friday unmoved, the others on Mondays', () => {
    // 2027: Easter March 28.
    const h27 = colombianHolidays(2027);
    expect(h27).toEqual(expect.arrayContaining(['2027-03-25', '2027-03-26', '2027-05-10', '2027-05-31', '2027-06-07']));
    for (let year = 1990; year <= 2100; year++) {
      const easter = Date.parse(`${easterSunday(year)}T00:00:00Z`);
      const day = (offset: number) => new Date(easter + offset * 24 * HOUR).toISOString().slice(0, 10);
      const holidays = colombianHolidays(year);
      expect(new Date(easter).getUTCDay()).toBe(0);
      for (const offset of [-3, -2, 43, 64, 71]) expect(holidays, `${year} Easter${offset}`).toContain(day(offset));
      // Ascension's Thursday is not a holiday (unless it is May 1, Labour Day, as in 2008).
      if (day(39) !== `${year}-05-01`) expect(holidays, `${year} Ascension Thursday`).not.toContain(day(39));
      expect(holidays).not.toContain(day(60)); // nor Corpus Christi's
    }
  });

  it('lists sorted unique dates: 18 a year (19 from 2026), one less when two fall on one day', () => {
    for (let year = 1990; year <= 2100; year++) {
      const h = colombianHolidays(year);
      const count = year >= 2026 ? 19 : 18; // Ley 2578 de 2026 added Virgen de Chiquinquirá
      expect([...h].sort()).toEqual(h);
      expect(new Set(h).size).toBe(h.length);
      expect(h.length === count || h.length === count - 1).toBe(true);
    }
    expect(colombianHolidays(2025)).toHaveLength(17);
    expect(colombianHolidays(2026)).toHaveLength(19);
  });

  it('refuses a year it cannot compute', () => {
    expect(() => colombianHolidays(1500)).toThrow(RangeError);
    expect(() => colombianHolidays(2025.5)).toThrow(RangeError);
  });
});

describe('business days', () => {
  it('are Monday to Friday except holidays', () => {
    expect(isBusinessDay('2026-01-13')).toBe(true); // Tuesday
    expect(isBusinessDay('2026-01-12')).toBe(false); // Monday, Reyes
    expect(isBusinessDay('2026-01-10')).toBe(false); // Saturday
    expect(isBusinessDay('2026-01-11')).toBe(false); // Sunday
    expect(isBusinessDay('2026-04-03')).toBe(false); // Good Friday
    expect(isBusinessDay('2026-03-02')).toBe(true); // Monday, not a holiday
  });

  it('refuses impossible dates', () => {
    expect(() => isBusinessDay('2026-02-30')).toThrow(RangeError);
    expect(() => isBusinessDay('2026-01-13T10:00:00')).toThrow(RangeError); // no zone designator
  });

  it('judge an instant by its local (Bogotá) date, not its UTC date', () => {
    expect(isBusinessDay('2026-01-13T04:00:00Z')).toBe(false); // Monday Jan 12 23:00 local, a holiday
    expect(isBusinessDay('2026-01-13T05:00:00Z')).toBe(true); // Tuesday Jan 13 00:00 local
    expect(isBusinessDay('2026-01-17T03:00:00Z')).toBe(true); // Friday Jan 16 22:00 local, Saturday in UTC
  });

  it('adds business days at the same local time, skipping weekends and holidays', () => {
    const cases: [start: string, n: number, due: string][] = [
      [bog('2026-01-16T16:00'), 1, bog('2026-01-19T16:00')], // Friday → Monday
      [bog('2026-01-17T10:00'), 1, bog('2026-01-20T08:00')], // Saturday → counts from Monday 08:00 → Tuesday 08:00
      [bog('2026-01-18T23:59'), 1, bog('2026-01-20T08:00')], // Sunday night → same
      [bog('2026-01-15T19:00'), 1, bog('2026-01-19T08:00')], // Thursday after hours → Friday 08:00 → Monday 08:00
      [bog('2026-01-15T18:00'), 1, bog('2026-01-19T08:00')], // closing time is already outside business hours
      [bog('2026-01-15T17:59'), 1, bog('2026-01-16T17:59')], // just inside
      [bog('2026-01-13T06:00'), 1, bog('2026-01-14T08:00')], // before opening → that day's 08:00
      [bog('2026-01-09T16:00'), 1, bog('2026-01-13T16:00')], // Friday → Monday Jan 12 is Reyes → Tuesday
      [bog('2026-04-01T10:00'), 1, bog('2026-04-06T10:00')], // Holy Thursday and Good Friday skipped
      [bog('2026-04-01T10:00'), 5, bog('2026-04-10T10:00')],
      [bog('2026-03-04T10:00'), 5, bog('2026-03-11T10:00')],
      [bog('2025-06-27T09:00'), 1, bog('2025-07-01T09:00')], // Monday June 30, 2025 is a holiday
      [bog('2025-12-31T12:00'), 1, bog('2026-01-02T12:00')], // across the year, Jan 1 skipped
      [bog('2026-01-17T10:00'), 0, bog('2026-01-19T08:00')], // 0 = the next business instant
      [bog('2026-01-14T10:00'), 0, bog('2026-01-14T10:00')],
    ];
    for (const [start, n, due] of cases) expect(addBusinessDays(start, n, cal), `${start} + ${n}`).toBe(due);
    expect(nextBusinessInstant(bog('2026-01-17T10:00'), cal)).toBe(bog('2026-01-19T08:00'));
  });

  it('uses local midnight: an instant after 19:00 local is the next UTC day but still the same local day', () => {
    // 2026-01-16T02:00Z is Thursday Jan 15 21:00 in Bogotá: after hours → Friday 08:00 → Monday 08:00.
    expect(addBusinessDays('2026-01-16T02:00:00Z', 1, cal)).toBe(bog('2026-01-19T08:00'));
    // Accepts any zone designator on input; answers in UTC.
    expect(addBusinessDays('2026-01-16T16:00:00-05:00', 1, cal)).toBe('2026-01-19T21:00:00.000Z');
  });

  it('takes other business hours, working days, offsets and holiday lists from the calendar', () => {
    const early = businessCalendar({ businessHours: { start: '07:00', end: '17:00' } });
    expect(addBusinessDays(bog('2026-01-17T10:00'), 1, early)).toBe(bog('2026-01-20T07:00'));
    expect(addBusinessDays(bog('2026-01-15T17:30'), 1, early)).toBe(bog('2026-01-19T07:00'));
    const saturdays = businessCalendar({ workingWeekdays: [1, 2, 3, 4, 5, 6] });
    expect(addBusinessDays(bog('2026-01-16T16:00'), 1, saturdays)).toBe(bog('2026-01-17T16:00'));
    const utc = businessCalendar({ timeZone: 'UTC', holidays: () => [] });
    expect(utc.utcOffsetMinutes).toBe(0);
    expect(addBusinessDays('2026-01-09T16:00:00Z', 1, utc)).toBe('2026-01-12T16:00:00.000Z'); // no Reyes here
    const byOffset = businessCalendar({ utcOffsetMinutes: 60 });
    // 17:30Z is 18:30 local at UTC+1: after hours → Thursday 08:00 local → Friday 08:00 local = 07:00Z.
    expect(addBusinessDays('2026-01-14T17:30:00Z', 1, byOffset)).toBe('2026-01-16T07:00:00.000Z');
    expect(addBusinessDays('2026-01-14T16:30:00Z', 1, byOffset)).toBe('2026-01-15T16:30:00.000Z'); // 17:30 local, inside
  });

  it('only supports fixed-offset time zones, with a clear error for the others', () => {
    expect(businessCalendar({ timeZone: 'America/Bogota' }).utcOffsetMinutes).toBe(-300);
    expect(DEFAULT_CALENDAR.utcOffsetMinutes).toBe(-300);
    expect(DEFAULT_CALENDAR.openMinute).toBe(8 * 60);
    expect(DEFAULT_CALENDAR.closeMinute).toBe(18 * 60);
    expect(() => businessCalendar({ timeZone: 'Europe/Madrid' })).toThrow(UnsupportedTimeZoneError);
    expect(() => businessCalendar({ timeZone: 'Europe/Madrid' })).toThrow(/fixed UTC offsets/);
    expect(businessCalendar({ timeZone: 'Europe/Madrid', utcOffsetMinutes: 60 }).utcOffsetMinutes).toBe(60);
    expect(() => businessCalendar({ timeZone: 'America/Bogota', utcOffsetMinutes: -240 })).toThrow(/disagrees/);
    expect(() => businessCalendar({ businessHours: { start: '18:00', end: '08:00' } })).toThrow(RangeError);
    expect(() => businessCalendar({ businessHours: { start: '8:00', end: '18:00' } })).toThrow(RangeError);
    expect(() => businessCalendar({ workingWeekdays: [] })).toThrow(RangeError);
    expect(() => addBusinessDays(bog('2026-01-14T10:00'), -1, cal)).toThrow(RangeError);
    expect(() => addBusinessDays(bog('2026-01-14T10:00'), 1.5, cal)).toThrow(RangeError);
  });
});

describe('SLA policy', () => {
  it('defaults to the DESIGN 2.1 table', () => {
    expect(DEFAULT_SLA_POLICY).toEqual({
      P1: { acknowledge: { minutes: 30 }, onSite: { minutes: 240 }, resolve: { minutes: 1440 } },
      P2: { acknowledge: { minutes: 120 }, onSite: { minutes: 480 }, resolve: { minutes: 2880 } },
      P3: { acknowledge: { businessDays: 1 }, onSite: { minutes: 2880 }, resolve: { businessDays: 5 } },
      P4: {
        acknowledge: { businessDays: 2 },
        onSite: { scheduledDate: true },
        resolve: { scheduledDate: true, plusBusinessDays: 1 },
      },
    });
  });

  it("lets a client's policy override single clocks, leaving the rest and the default untouched", () => {
    const before = JSON.stringify(DEFAULT_SLA_POLICY);
    const merged = mergePolicy(DEFAULT_SLA_POLICY, {
      P1: { acknowledge: { minutes: 15 } },
      P3: { resolve: { businessDays: 3 } },
    });
    expect(merged.P1).toEqual({ acknowledge: { minutes: 15 }, onSite: { minutes: 240 }, resolve: { minutes: 1440 } });
    expect(merged.P3.resolve).toEqual({ businessDays: 3 });
    expect(merged.P3.acknowledge).toEqual({ businessDays: 1 });
    expect(merged.P2).toEqual(DEFAULT_SLA_POLICY.P2);
    expect(JSON.stringify(DEFAULT_SLA_POLICY)).toBe(before);
    expect(mergePolicy(DEFAULT_SLA_POLICY)).toEqual(DEFAULT_SLA_POLICY);

    const created = bog('2026-03-04T10:00');
    const s = startSla('P1', created, merged, cal);
    expect(s.clocks.acknowledge.dueAt).toBe(plus(created, 15 * MIN));
    expect(s.clocks.onSite.dueAt).toBe(plus(created, 4 * HOUR));
    expect(startSla('P3', created, merged, cal).clocks.resolve.dueAt).toBe(bog('2026-03-09T10:00'));
  });

  it('refuses invalid overrides', () => {
    const bad = (o: unknown) => () => mergePolicy(DEFAULT_SLA_POLICY, o as never);
    expect(bad({ P1: { acknowledge: { minutes: 0 } } })).toThrow(SlaPolicyError);
    expect(bad({ P1: { acknowledge: { minutes: -5 } } })).toThrow(/P1\.acknowledge\.minutes/);
    expect(bad({ P3: { resolve: { businessDays: 1.5 } } })).toThrow(/businessDays/);
    expect(bad({ P3: { resolve: { businessDays: 2, minutes: 10 } } })).toThrow(/exactly one/);
    expect(bad({ P4: { acknowledge: { scheduledDate: true } } })).toThrow(/acknowledgement/);
    expect(bad({ P4: { resolve: { scheduledDate: true, plusBusinessDays: -1 } } })).toThrow(/plusBusinessDays/);
    expect(bad({ P5: { resolve: { minutes: 10 } } })).toThrow(/unknown priority/);
    expect(bad({ P1: { onsite: { minutes: 10 } } })).toThrow(/unknown SLA clock/);
    expect(() => mergePolicy(DEFAULT_SLA_POLICY, { P3: { onSite: { scheduledDate: true, plusBusinessDays: 0 } } })).not.toThrow();
  });
});

describe('due times', () => {
  // Wednesday March 4, 2026, 10:00 in Bogotá.
  const created = bog('2026-03-04T10:00');

  it('for every priority and clock', () => {
    const due = (p: 'P1' | 'P2' | 'P3' | 'P4') => slaDueTimes(startSla(p, created, P, cal));
    expect(due('P1')).toEqual({
      acknowledge: bog('2026-03-04T10:30'),
      onSite: bog('2026-03-04T14:00'),
      resolve: bog('2026-03-05T10:00'),
    });
    expect(due('P2')).toEqual({
      acknowledge: bog('2026-03-04T12:00'),
      onSite: bog('2026-03-04T18:00'),
      resolve: bog('2026-03-06T10:00'),
    });
    expect(due('P3')).toEqual({
      acknowledge: bog('2026-03-05T10:00'),
      onSite: bog('2026-03-06T10:00'),
      resolve: bog('2026-03-11T10:00'),
    });
    expect(due('P4')).toEqual({ acknowledge: bog('2026-03-06T10:00') });
  });

  it('wall-clock targets ignore weekends and holidays; business-day ones do not', () => {
    const friday = bog('2026-01-09T17:00'); // before the Reyes Monday
    const p3 = startSla('P3', friday, P, cal);
    expect(p3.clocks.onSite.dueAt).toBe(bog('2026-01-11T17:00')); // 48 h, a Sunday
    expect(p3.clocks.acknowledge.dueAt).toBe(bog('2026-01-13T17:00'));
    expect(p3.clocks.resolve.dueAt).toBe(bog('2026-01-19T17:00')); // Jan 13, 14, 15, 16, 19
  });

  it('P4 on-site and resolve are unknown until the visit is scheduled, then follow it', () => {
    const s = startSla('P4', created, P, cal);
    expect(s.clocks.onSite.dueAt).toBeUndefined();
    expect(s.clocks.resolve.dueAt).toBeUndefined();
    expect(evaluate(s, plus(created, 365 * 24 * HOUR)).events.filter((e) => e.clock !== 'acknowledge')).toEqual([]);
    expect(nextCheckTimes(s).map((c) => c.clock)).toEqual(['acknowledge', 'acknowledge']);
    expect(slaStatus(stop(s, 'acknowledge', plus(created, HOUR)), plus(created, 365 * 24 * HOUR))).toBe('on-track');

    const visit = bog('2026-03-20T09:00'); // Friday; Monday March 23 is San José
    const scheduled = onScheduled(s, visit, cal);
    expect(scheduled.visitAt).toBe(visit);
    expect(scheduled.clocks.onSite.dueAt).toBe(visit);
    expect(scheduled.clocks.resolve.dueAt).toBe(bog('2026-03-24T09:00'));
    expect(scheduled.clocks.acknowledge.dueAt).toBe(s.clocks.acknowledge.dueAt);
    expect(nextCheckTimes(scheduled).map((c) => c.clock)).toEqual(expect.arrayContaining(['onSite', 'resolve']));

    // Rescheduling moves them again.
    const moved = onScheduled(scheduled, bog('2026-03-25T14:00'), cal);
    expect(moved.clocks.onSite.dueAt).toBe(bog('2026-03-25T14:00'));
    expect(moved.clocks.resolve.dueAt).toBe(bog('2026-03-26T14:00'));
  });

  it('scheduling does not touch clocks with fixed targets', () => {
    const s = startSla('P2', created, P, cal);
    expect(onScheduled(s, bog('2026-03-10T09:00'), cal).clocks).toEqual(s.clocks);
  });

  it('refuses instants without a zone and unknown priorities', () => {
    expect(() => startSla('P1', '2026-03-04T10:00:00', P, cal)).toThrow(RangeError);
    expect(() => startSla('P9' as never, created, P, cal)).toThrow(SlaPolicyError);
  });
});

describe('pause and resume', () => {
  const created = bog('2026-03-04T10:00');

  it('ON_HOLD pauses on-site and resolve (not acknowledge) and resume moves their due times by the pause', () => {
    let s = startSla('P2', created, P, cal);
    s = pause(s, plus(created, HOUR));
    expect(s.clocks.onSite.pausedSince).toBe(plus(created, HOUR));
    expect(s.clocks.resolve.pausedSince).toBe(plus(created, HOUR));
    expect(s.clocks.acknowledge.pausedSince).toBeUndefined();
    s = resume(s, plus(created, 4 * HOUR));
    expect(s.clocks.onSite).toMatchObject({ pausedMs: 3 * HOUR, dueAt: plus(created, 11 * HOUR) });
    expect(s.clocks.onSite.pausedSince).toBeUndefined();
    expect(s.clocks.resolve).toMatchObject({ pausedMs: 3 * HOUR, dueAt: plus(created, 51 * HOUR) });
    expect(s.clocks.acknowledge).toMatchObject({ pausedMs: 0, dueAt: plus(created, 2 * HOUR) });

    // Pauses add up; a stopped clock is not paused.
    s = stop(s, 'onSite', plus(created, 5 * HOUR));
    s = pause(s, plus(created, 10 * HOUR));
    expect(s.clocks.onSite.pausedSince).toBeUndefined();
    s = pause(s, plus(created, 11 * HOUR)); // already paused: keeps the first pause
    s = resume(s, plus(created, 12 * HOUR));
    expect(s.clocks.resolve).toMatchObject({ pausedMs: 5 * HOUR, dueAt: plus(created, 53 * HOUR) });
    expect(s.clocks.onSite).toMatchObject({
      pausedMs: 3 * HOUR,
      dueAt: plus(created, 11 * HOUR),
      stoppedAt: plus(created, 5 * HOUR),
    });
    expect(resume(s, plus(created, 13 * HOUR))).toEqual(s); // not paused: nothing to do
  });

  it('a paused clock raises nothing while paused, and continues from where it was', () => {
    let s = startSla('P2', created, P, cal);
    s = stop(stop(s, 'acknowledge', plus(created, 30 * MIN)), 'onSite', plus(created, 2 * HOUR));
    s = pause(s, plus(created, 10 * HOUR));
    const during = evaluate(s, plus(created, 100 * HOUR)); // far past the original 48 h
    expect(during.events).toEqual([]);
    expect(nextCheckTimes(s)).toEqual([]);
    expect(clockStatus(s.clocks.resolve, plus(created, 100 * HOUR))).toBe('on-track'); // frozen at 10 h of 48 h
    s = resume(s, plus(created, 101 * HOUR));
    expect(s.clocks.resolve.dueAt).toBe(plus(created, 139 * HOUR));
    expect(evaluate(s, plus(created, 101 * HOUR)).events).toEqual([]);
    const risk = evaluate(s, plus(created, 127 * HOUR)); // 36 h of running time = 75 %
    expect(risk.events).toEqual([{ type: 'order.sla-at-risk', clock: 'resolve', dueAt: plus(created, 139 * HOUR) }]);
    expect(evaluate(s, plus(created, 127 * HOUR) + '').events).toHaveLength(1);
    expect(evaluate(s, plus(created, 127 * HOUR - 1)).events).toEqual([]);
  });

  it('stopping a paused clock closes the pause first', () => {
    let s = startSla('P1', created, P, cal);
    s = pause(s, plus(created, HOUR));
    s = stop(s, 'resolve', plus(created, 30 * HOUR)); // e.g. cancelled while on hold
    expect(s.clocks.resolve).toMatchObject({
      stoppedAt: plus(created, 30 * HOUR),
      pausedMs: 29 * HOUR,
      dueAt: plus(created, 53 * HOUR),
    });
    expect(s.clocks.resolve.pausedSince).toBeUndefined();
    expect(clockStatus(s.clocks.resolve, plus(created, 100 * HOUR))).toBe('met');
  });

  it('refuses to resume before the pause', () => {
    const s = pause(startSla('P1', created, P, cal), plus(created, HOUR));
    expect(() => resume(s, created)).toThrow(RangeError);
  });
});

describe('evaluate', () => {
  const created = bog('2026-03-04T10:00');

  it('raises at-risk and breached exactly once each, at 75 % and past 100 %, however often it is called', () => {
    // Only the acknowledge clock of a P1 (30 min) is looked at; the others are stopped.
    let s: SlaState = stop(stop(startSla('P1', created, P, cal), 'onSite', created), 'resolve', created);
    const seen: { at: number; event: SlaEvent }[] = [];
    for (let t = 0; t <= 90 * MIN; t += 30_000) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const r = evaluate(s, plus(created, t));
        s = r.state;
        for (const event of r.events) seen.push({ at: t, event });
      }
    }
    const dueAt = plus(created, 30 * MIN);
    expect(seen).toEqual([
      { at: 22.5 * MIN, event: { type: 'order.sla-at-risk', clock: 'acknowledge', dueAt } },
      { at: 30.5 * MIN, event: { type: 'order.sla-breached', clock: 'acknowledge', dueAt } },
    ]);
    expect(s.clocks.acknowledge).toMatchObject({ atRiskRaised: true, breachedRaised: true });
  });

  it('is exact at the marks: 75 % inclusive, breached only after the due time', () => {
    const s = startSla('P1', created, P, cal);
    expect(evaluate(s, plus(created, 22.5 * MIN - 1)).events).toEqual([]);
    expect(evaluate(s, plus(created, 22.5 * MIN)).events.map((e) => e.type)).toEqual(['order.sla-at-risk']);
    const atDue = evaluate(evaluate(s, plus(created, 22.5 * MIN)).state, plus(created, 30 * MIN));
    expect(atDue.events).toEqual([]);
    expect(evaluate(atDue.state, plus(created, 30 * MIN + 1)).events.map((e) => e.type)).toEqual(['order.sla-breached']);
  });

  it('a late first evaluation past 100 % raises only breached, and marks at-risk raised', () => {
    const s = startSla('P1', created, P, cal);
    const late = evaluate(s, plus(created, 2 * HOUR));
    expect(late.events).toEqual([{ type: 'order.sla-breached', clock: 'acknowledge', dueAt: plus(created, 30 * MIN) }]);
    expect(late.state.clocks.acknowledge).toMatchObject({ atRiskRaised: true, breachedRaised: true });
    expect(late.state.clocks.onSite).toMatchObject({ atRiskRaised: false, breachedRaised: false }); // 2 h of 4 h
    const later = evaluate(late.state, plus(created, 3.5 * HOUR));
    expect(later.events).toEqual([{ type: 'order.sla-at-risk', clock: 'onSite', dueAt: plus(created, 4 * HOUR) }]);
    const muchLater = evaluate(later.state, plus(created, 48 * HOUR));
    expect(muchLater.events).toEqual([
      { type: 'order.sla-breached', clock: 'onSite', dueAt: plus(created, 4 * HOUR) },
      { type: 'order.sla-breached', clock: 'resolve', dueAt: plus(created, 24 * HOUR) },
    ]);
    expect(evaluate(muchLater.state, plus(created, 96 * HOUR)).events).toEqual([]);
  });

  it('a stopped clock raises nothing and is met when stopped by its due time', () => {
    let s = startSla('P1', created, P, cal);
    s = stop(s, 'acknowledge', plus(created, 20 * MIN));
    s = stop(s, 'acknowledge', plus(created, 25 * MIN)); // the first stop stays
    expect(s.clocks.acknowledge.stoppedAt).toBe(plus(created, 20 * MIN));
    const r = evaluate(s, plus(created, 2 * HOUR));
    expect(r.events.map((e) => e.clock)).not.toContain('acknowledge');
    expect(r.state.clocks.acknowledge).toMatchObject({ atRiskRaised: false, breachedRaised: false });
    expect(clockStatus(s.clocks.acknowledge, plus(created, 2 * HOUR))).toBe('met');
    expect(
      clockStatus(stop(startSla('P1', created, P, cal), 'acknowledge', plus(created, 30 * MIN)).clocks.acknowledge, created),
    ).toBe('met');
    expect(
      clockStatus(stop(startSla('P1', created, P, cal), 'acknowledge', plus(created, 40 * MIN)).clocks.acknowledge, created),
    ).toBe('breached');
  });

  it('returns the state unchanged when nothing is raised', () => {
    const s = startSla('P3', created, P, cal);
    const r = evaluate(s, plus(created, HOUR));
    expect(r.events).toEqual([]);
    expect(r.state).toBe(s);
  });
});

describe('nextCheckTimes', () => {
  const created = bog('2026-03-04T10:00');

  it('gives the 75 % and breach marks of running clocks, sorted, and drops the ones already raised', () => {
    const s = startSla('P1', created, P, cal);
    expect(nextCheckTimes(s)).toEqual([
      { clock: 'acknowledge', type: 'order.sla-at-risk', at: plus(created, 22.5 * MIN) },
      { clock: 'acknowledge', type: 'order.sla-breached', at: plus(created, 30 * MIN + 1) },
      { clock: 'onSite', type: 'order.sla-at-risk', at: plus(created, 3 * HOUR) },
      { clock: 'onSite', type: 'order.sla-breached', at: plus(created, 4 * HOUR + 1) },
      { clock: 'resolve', type: 'order.sla-at-risk', at: plus(created, 18 * HOUR) },
      { clock: 'resolve', type: 'order.sla-breached', at: plus(created, 24 * HOUR + 1) },
    ]);
    const afterRisk = evaluate(stop(s, 'onSite', created), plus(created, 23 * MIN)).state;
    expect(nextCheckTimes(afterRisk).map((c) => `${c.clock}:${c.type}`)).toEqual([
      'acknowledge:order.sla-breached',
      'resolve:order.sla-at-risk',
      'resolve:order.sla-breached',
    ]);
  });

  it('every mark is the first instant at which evaluate raises its event', () => {
    const s = startSla('P3', bog('2026-01-16T16:00'), P, cal);
    for (const check of nextCheckTimes(s)) {
      const before = evaluate(s, plus(check.at, -1)).events.filter((e) => e.clock === check.clock && e.type === check.type);
      const at = evaluate(s, check.at).events.filter((e) => e.clock === check.clock);
      expect(before, `${check.clock} ${check.type}`).toEqual([]);
      expect(
        at.map((e) => e.type),
        `${check.clock} ${check.type}`,
      ).toEqual([check.type]);
    }
    expect(nextCheckTimes(s)).toHaveLength(6);
  });

  it('accounts for paused time', () => {
    let s = stop(stop(startSla('P2', created, P, cal), 'acknowledge', created), 'onSite', created);
    s = resume(pause(s, plus(created, 10 * HOUR)), plus(created, 14 * HOUR));
    expect(nextCheckTimes(s)).toEqual([
      { clock: 'resolve', type: 'order.sla-at-risk', at: plus(created, 40 * HOUR) }, // 36 h running + 4 h paused
      { clock: 'resolve', type: 'order.sla-breached', at: plus(created, 52 * HOUR + 1) },
    ]);
  });
});

describe('slaStatus', () => {
  const created = bog('2026-03-04T10:00');

  it('is the worst clock: on-track, at-risk, breached; met once every clock is met', () => {
    let s = startSla('P1', created, P, cal);
    expect(slaStatus(s, plus(created, 10 * MIN))).toBe('on-track');
    expect(slaStatus(s, plus(created, 25 * MIN))).toBe('at-risk');
    expect(slaStatus(s, plus(created, 31 * MIN))).toBe('breached');
    s = stop(s, 'acknowledge', plus(created, 20 * MIN));
    expect(slaStatus(s, plus(created, 31 * MIN))).toBe('on-track');
    expect(slaStatus(s, plus(created, 3.5 * HOUR))).toBe('at-risk');
    s = stop(s, 'onSite', plus(created, 3.5 * HOUR));
    expect(slaStatus(s, plus(created, 3.5 * HOUR))).toBe('on-track');
    s = stop(s, 'resolve', plus(created, 20 * HOUR));
    expect(slaStatus(s, plus(created, 100 * HOUR))).toBe('met');
    const late = stop(
      stop(stop(startSla('P1', created, P, cal), 'acknowledge', plus(created, 31 * MIN)), 'onSite', created),
      'resolve',
      created,
    );
    expect(slaStatus(late, plus(created, 100 * HOUR))).toBe('breached');
  });
});

describe('reprioritize', () => {
  const created = bog('2026-03-04T10:00');

  it('recomputes the running clocks from the original start; stopped clocks keep theirs', () => {
    let s = startSla('P3', created, P, cal);
    s = stop(s, 'acknowledge', plus(created, HOUR)); // triaged
    const p1 = reprioritize(s, 'P1', P, cal, plus(created, HOUR));
    expect(p1.priority).toBe('P1');
    expect(p1.priorityChangedAt).toBe(plus(created, HOUR));
    expect(p1.clocks.acknowledge.dueAt).toBe(bog('2026-03-05T10:00')); // P3's, already stopped
    expect(p1.targets.acknowledge).toEqual({ businessDays: 1 });
    expect(p1.clocks.onSite.dueAt).toBe(plus(created, 4 * HOUR));
    expect(p1.clocks.resolve.dueAt).toBe(plus(created, 24 * HOUR));
    expect(p1.targets.resolve).toEqual({ minutes: 1440 });
  });

  it('to P4 makes scheduled-date clocks unknown again unless a visit is known; paused time still counts', () => {
    let s = startSla('P2', created, P, cal);
    s = resume(pause(s, plus(created, HOUR)), plus(created, 3 * HOUR));
    const p4 = reprioritize(s, 'P4', P, cal, plus(created, 3 * HOUR));
    expect(p4.clocks.onSite.dueAt).toBeUndefined();
    expect(p4.clocks.acknowledge.dueAt).toBe(bog('2026-03-06T10:00'));
    const scheduled = onScheduled(p4, bog('2026-03-10T09:00'), cal);
    expect(scheduled.clocks.onSite.dueAt).toBe(plus(bog('2026-03-10T09:00'), 2 * HOUR));
    expect(scheduled.clocks.resolve.dueAt).toBe(plus(bog('2026-03-11T09:00'), 2 * HOUR));
    const back = reprioritize(scheduled, 'P2', P, cal, plus(created, 4 * HOUR));
    expect(back.clocks.resolve.dueAt).toBe(plus(created, 50 * HOUR));
  });

  it('keeps raised flags, so no event is raised twice for a clock', () => {
    let s = startSla('P1', created, P, cal);
    s = evaluate(s, plus(created, 25 * MIN)).state; // acknowledge at risk
    const p3 = reprioritize(s, 'P3', P, cal, plus(created, 26 * MIN));
    expect(p3.clocks.acknowledge.atRiskRaised).toBe(true);
    const r = evaluate(p3, plus(bog('2026-03-05T10:00'), -HOUR)); // 90 % of P3's business day
    expect(r.events).toEqual([]);
  });
});
