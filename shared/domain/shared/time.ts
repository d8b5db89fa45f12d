/**
 * Client time: the zone a client's dates and times are read in (Colombia unless the client says
 * otherwise) and the local forms of an instant. Zones are fixed UTC offsets — Colombia has had no
 * daylight saving time since 1993 — so local time is UTC + the offset, with no time-zone database.
 * The one exception is `formatDateTime`, which words an instant for people through `Intl`.
 */

export const DEFAULT_TIME_ZONE = 'America/Bogota';

/** The zones known by name, with their UTC offset in minutes (local = UTC + offset), all year round. */
export const FIXED_OFFSET_ZONES: Readonly<Record<string, number>> = {
  [DEFAULT_TIME_ZONE]: -300,
  UTC: 0,
  'Etc/UTC': 0,
};

const MINUTE_MS = 60_000;
/** −300: Colombia is UTC−5. */
export const DEFAULT_UTC_OFFSET_MINUTES = FIXED_OFFSET_ZONES[DEFAULT_TIME_ZONE] as number;

/** The local calendar date (`YYYY-MM-DD`) of an instant. */
export function localDate(instantMs: number, utcOffsetMinutes: number = DEFAULT_UTC_OFFSET_MINUTES): string {
  return new Date(instantMs + utcOffsetMinutes * MINUTE_MS).toISOString().slice(0, 10);
}

/** Local `YYYY-MM-DD HH:mm` of an ISO instant (`2026-03-02 14:30`); the text itself when it is not one. */
export function localDateTime(iso: string, utcOffsetMinutes: number = DEFAULT_UTC_OFFSET_MINUTES): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t + utcOffsetMinutes * MINUTE_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** The instant (canonical UTC ISO) at which a local date (`YYYY-MM-DD`) begins: 00:00 local. */
export function startOfLocalDay(date: string, utcOffsetMinutes: number = DEFAULT_UTC_OFFSET_MINUTES): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) - utcOffsetMinutes * MINUTE_MS).toISOString();
}

/** Building an `Intl.DateTimeFormat` costs far more than using one: one per locale and zone. */
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as a reader of `locale` writes it, date and time in `timeZone`:
 * `2/03/2026, 2:30 p. m.` (es-CO), `Mar 2, 2026, 2:30 PM` (en).
 */
export function formatDateTime(iso: string, locale: string, timeZone: string = DEFAULT_TIME_ZONE): string {
  const key = `${locale}|${timeZone}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone });
    dateTimeFormats.set(key, format);
  }
  return format.format(new Date(iso));
}
