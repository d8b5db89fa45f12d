/**
 * Business time for SLA clocks (DESIGN 2.1): business hours, public holidays (Colombian by
 * default, `colombian-holidays.ts`) and "n business days" arithmetic. No Intl, no clock. Time zones
 * are fixed UTC offsets (shared/time), so local time = UTC + `utcOffsetMinutes`. See docs/sla.md.
 */
import { DEFAULT_TIME_ZONE, FIXED_OFFSET_ZONES } from '../shared/time';
import { colombianHolidays } from './colombian-holidays';

export { colombianHolidays, easterSunday } from './colombian-holidays';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** No calendar goes this many days without a business day; stops a loop on a broken calendar. */
const MAX_SEARCH_DAYS = 3_660;

// ---------------------------------------------------------------------------------------------
// Instants
// ---------------------------------------------------------------------------------------------

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Milliseconds since the epoch of an ISO-8601 instant. The zone designator (`Z` or `±hh:mm`) is
 * required: without it `Date.parse` would use the host's zone, which a pure function must not.
 */
export function instantMs(iso: string): number {
  const ms = ISO_INSTANT.test(iso) ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`not an ISO-8601 instant with a zone designator: ${JSON.stringify(iso)}`);
  return ms;
}

/** The canonical UTC form used everywhere in orders: `YYYY-MM-DDTHH:mm:ss.sssZ`. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Days
// ---------------------------------------------------------------------------------------------

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1–12). */
function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

function dateOfDay(day: number): string {
  return isoOf(day * DAY_MS).slice(0, 10);
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
function weekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

// ---------------------------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------------------------

/** When and where business time runs. Build one with `businessCalendar`. */
export interface BusinessCalendar {
  /** Local time = UTC + this, all year round. −300 for Colombia (UTC−5). */
  readonly utcOffsetMinutes: number;
  /** Business hours, local minutes after midnight: [open, close). Default 08:00–18:00. */
  readonly openMinute: number;
  readonly closeMinute: number;
  /** ISO weekdays that are working days (1 = Monday … 7 = Sunday). Default Monday–Friday. */
  readonly workingWeekdays: readonly number[];
  /** Public holidays of a year, `YYYY-MM-DD` local dates. Default `colombianHolidays`. */
  readonly holidays: (year: number) => readonly string[];
}

export interface BusinessCalendarOptions {
  /** A zone of `FIXED_OFFSET_ZONES` (shared/time); anything else is refused. Default `America/Bogota`. */
  readonly timeZone?: string;
  /** Overrides `timeZone`'s offset (they must agree when both are given). */
  readonly utcOffsetMinutes?: number;
  /** Local `HH:MM`, start inclusive, end exclusive. Default `{ start: '08:00', end: '18:00' }`. */
  readonly businessHours?: { readonly start: string; readonly end: string };
  readonly workingWeekdays?: readonly number[];
  readonly holidays?: (year: number) => readonly string[];
}

export class UnsupportedTimeZoneError extends RangeError {
  constructor(readonly timeZone: string) {
    super(
      `time zone ${JSON.stringify(timeZone)} is not supported: business calendars use fixed UTC offsets ` +
        `(supported: ${Object.keys(FIXED_OFFSET_ZONES).join(', ')}); give utcOffsetMinutes for another zone without DST`,
    );
    this.name = 'UnsupportedTimeZoneError';
  }
}

function minuteOfDay(hhmm: string, what: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60) throw new RangeError(`${what} must be HH:MM, got ${JSON.stringify(hhmm)}`);
  return minutes;
}

/** A calendar from a client's settings; every option defaults to Colombia, Monday–Friday 08:00–18:00. */
export function businessCalendar(options: BusinessCalendarOptions = {}): BusinessCalendar {
  const zone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const zoneOffset = FIXED_OFFSET_ZONES[zone];
  let utcOffsetMinutes: number;
  if (options.utcOffsetMinutes !== undefined) {
    utcOffsetMinutes = options.utcOffsetMinutes;
    if (options.timeZone !== undefined && zoneOffset !== undefined && zoneOffset !== utcOffsetMinutes) {
      throw new RangeError(`utcOffsetMinutes ${utcOffsetMinutes} disagrees with ${zone} (${zoneOffset})`);
    }
  } else {
    if (zoneOffset === undefined) throw new UnsupportedTimeZoneError(zone);
    utcOffsetMinutes = zoneOffset;
  }
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 14 * 60) {
    throw new RangeError(`utcOffsetMinutes must be an integer within ±840, got ${utcOffsetMinutes}`);
  }
  const hours = options.businessHours ?? { start: '08:00', end: '18:00' };
  const openMinute = minuteOfDay(hours.start, 'businessHours.start');
  const closeMinute = minuteOfDay(hours.end, 'businessHours.end');
  if (openMinute >= closeMinute) throw new RangeError(`business hours must end after they start (${hours.start}–${hours.end})`);
  const workingWeekdays = [...new Set(options.workingWeekdays ?? [1, 2, 3, 4, 5])].sort((a, b) => a - b);
  if (workingWeekdays.length === 0 || workingWeekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new RangeError('workingWeekdays must be a non-empty list of ISO weekdays 1–7');
  }
  return { utcOffsetMinutes, openMinute, closeMinute, workingWeekdays, holidays: options.holidays ?? colombianHolidays };
}

/** Colombia (America/Bogota, UTC−5), Monday–Friday 08:00–18:00, Colombian public holidays. */
export const DEFAULT_CALENDAR: BusinessCalendar = businessCalendar();

// ---------------------------------------------------------------------------------------------
// Business days and business time
// ---------------------------------------------------------------------------------------------

function isBusinessDayNumber(day: number, cal: BusinessCalendar): boolean {
  if (!cal.workingWeekdays.includes(weekdayOf(day))) return false;
  const date = dateOfDay(day);
  return !cal.holidays(Number(date.slice(0, 4))).includes(date);
}

function nextBusinessDayAfter(day: number, cal: BusinessCalendar): number {
  for (let d = day + 1; d <= day + MAX_SEARCH_DAYS; d++) if (isBusinessDayNumber(d, cal)) return d;
  throw new RangeError(`no business day within ${MAX_SEARCH_DAYS} days after ${dateOfDay(day)}`);
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The local day number of a `YYYY-MM-DD` local date or of an ISO instant (seen in the calendar's zone). */
function localDayOf(date: string, cal: BusinessCalendar): number {
  if (LOCAL_DATE.test(date)) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const day = dayNumber(y, m, d);
    if (dateOfDay(day) !== date) throw new RangeError(`not a calendar date: ${JSON.stringify(date)}`);
    return day;
  }
  return Math.floor((instantMs(date) + cal.utcOffsetMinutes * MINUTE_MS) / DAY_MS);
}

/**
 * Whether a day is a business day: a working weekday that is not a public holiday. `date` is a
 * local `YYYY-MM-DD` date, or an ISO instant whose local date (in the calendar's zone) is meant.
 */
export function isBusinessDay(date: string, cal: BusinessCalendar = DEFAULT_CALENDAR): boolean {
  return isBusinessDayNumber(localDayOf(date, cal), cal);
}

/**
 * The first instant at or after `iso` that is inside business hours: `iso` itself when it is
 * within [open, close) of a business day, the same day's opening when it is earlier on a business
 * day, otherwise the opening of the next business day.
 */
export function nextBusinessInstant(iso: string, cal: BusinessCalendar = DEFAULT_CALENDAR): string {
  return isoOf(toBusinessLocal(instantMs(iso) + cal.utcOffsetMinutes * MINUTE_MS, cal) - cal.utcOffsetMinutes * MINUTE_MS);
}

/** In local milliseconds: the first business instant at or after `local`. */
function toBusinessLocal(local: number, cal: BusinessCalendar): number {
  const day = Math.floor(local / DAY_MS);
  const time = local - day * DAY_MS;
  const open = cal.openMinute * MINUTE_MS;
  if (isBusinessDayNumber(day, cal)) {
    if (time < open) return day * DAY_MS + open;
    if (time < cal.closeMinute * MINUTE_MS) return local;
  }
  return nextBusinessDayAfter(day, cal) * DAY_MS + open;
}

/**
 * `n` business days after `startIso`: the start is first moved to the next business instant
 * (`nextBusinessInstant`), then the result is the same local time of day `n` business days later.
 * Examples (Colombia, 08:00–18:00): Friday 16:00 + 1 → Monday 16:00; Saturday 10:00 + 1 → Monday
 * 08:00 + 1 → Tuesday 08:00; Thursday 19:00 + 1 → Friday 08:00 + 1 → Monday 08:00 (holidays are
 * skipped like weekends). This equals adding n × (business hours per day) of business time, with a
 * result that lands exactly at closing carried to the next opening. `n = 0` gives the next
 * business instant. The result is always within business hours.
 */
export function addBusinessDays(startIso: string, n: number, cal: BusinessCalendar = DEFAULT_CALENDAR): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`business days must be a non-negative integer, got ${n}`);
  const offset = cal.utcOffsetMinutes * MINUTE_MS;
  const start = toBusinessLocal(instantMs(startIso) + offset, cal);
  let day = Math.floor(start / DAY_MS);
  const time = start - day * DAY_MS;
  for (let i = 0; i < n; i++) day = nextBusinessDayAfter(day, cal);
  return isoOf(day * DAY_MS + time - offset);
}

/**
 * `hours` business hours after `startIso` (used by approval escalations): the start is first moved
 * to the next business instant, then business time is counted only inside business hours, skipping
 * closed days; a result that lands exactly at closing is carried to the next opening (as in
 * `addBusinessDays`). `hours` may be fractional; it must be positive.
 */
export function addBusinessHours(startIso: string, hours: number, cal: BusinessCalendar = DEFAULT_CALENDAR): string {
  if (!Number.isFinite(hours) || hours <= 0) throw new RangeError(`business hours must be positive, got ${hours}`);
  const offset = cal.utcOffsetMinutes * MINUTE_MS;
  let at = toBusinessLocal(instantMs(startIso) + offset, cal);
  let left = Math.round(hours * 60) * MINUTE_MS;
  for (;;) {
    const day = Math.floor(at / DAY_MS);
    const close = day * DAY_MS + cal.closeMinute * MINUTE_MS;
    if (at + left < close) return isoOf(at + left - offset);
    left -= close - at;
    at = nextBusinessDayAfter(day, cal) * DAY_MS + cal.openMinute * MINUTE_MS;
  }
}
