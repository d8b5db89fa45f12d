/**
 * Colombian public holidays, from the `date-holidays` calendar (country `CO`): the days of Ley 51
 * de 1983 ("Ley Emiliani": most holidays moved to the following Monday), the Easter-based ones,
 * and the laws since (Ley 2578 de 2026: Virgen de Chiquinquirá, the Monday after 9 July, from 2026).
 * A maintained calendar follows new laws with a version bump instead of a change here
 * (docs/decisions.md).
 *
 * The package (its parser and the data of every country, ≈ 150–250 ms to load) is required on the
 * first holiday asked for, not imported: the Functions entry and every request that does no
 * business-day arithmetic never pay for it. Each year is computed once.
 */
// eslint-disable-next-line no-restricted-imports -- a synchronous load on first use, the only way to keep the package off the entry's imports while the calendar stays synchronous; no I/O happens here besides loading code
import { createRequire } from 'node:module';

type HolidaysCalendar = InstanceType<typeof import('date-holidays').default>;

let calendar: HolidaysCalendar | undefined;
function colombianCalendar(): HolidaysCalendar {
  if (!calendar) {
    const Holidays = createRequire(import.meta.url)('date-holidays') as typeof import('date-holidays').default;
    calendar = new Holidays('CO');
  }
  return calendar;
}

/** The package's rule for Easter Sunday, which it lists as public although it is no law's holiday. */
const EASTER_SUNDAY = 'easter';

const byYear = new Map<number, readonly string[]>();

function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) {
    throw new RangeError(`year must be an integer between 1583 and 9999 (Gregorian calendar), got ${year}`);
  }
}

/**
 * Colombian public holidays of a year, sorted `YYYY-MM-DD`, without duplicates (San Pedro moved to
 * Monday can fall on the same day as Sagrado Corazón, as in 2025: one day off, not two). Easter
 * Sunday is left out: it is a Sunday, not a holiday of the law, and a calendar working Sundays
 * works it. The rules are those in force since 1984; earlier years get them too.
 */
export function colombianHolidays(year: number): readonly string[] {
  assertYear(year);
  let days = byYear.get(year);
  if (!days) {
    const dates = colombianCalendar()
      .getHolidays(year)
      .filter((h) => h.type === 'public' && h.rule !== EASTER_SUNDAY)
      .map((h) => h.date.slice(0, 10));
    days = Object.freeze([...new Set(dates)].sort());
    byYear.set(year, days);
  }
  return days;
}

/** Easter Sunday of a year (`YYYY-MM-DD`), the date the movable holidays are counted from. */
export function easterSunday(year: number): string {
  assertYear(year);
  const easter = colombianCalendar()
    .getHolidays(year)
    .find((h) => h.rule === EASTER_SUNDAY);
  if (!easter) throw new RangeError(`no Easter Sunday in the Colombian calendar for ${year}`);
  return easter.date.slice(0, 10);
}
