/**
 * A plan's recurrence: an RFC 5545 RRULE (`FREQ=WEEKLY;BYDAY=MO`), evaluated by the `rrule`
 * package on local calendar dates. The package works in UTC; a plan's dates are local Bogotá dates
 * with no time of day, so each local date is handed to it as that date at 00:00 UTC and read back
 * the same way ("floating" dates): no zone arithmetic, no DST, the date never shifts.
 *
 * The text is checked here before the package sees it: only the parts a maintenance plan needs
 * are accepted, each within bounds, because the package itself accepts values it then loops on
 * forever (a negative INTERVAL) or fails on with a TypeError (an unknown weekday).
 *
 * Like the holiday calendar, the package is required on first use, not imported: the Functions
 * entry and every request that evaluates no plan never load it.
 */
// eslint-disable-next-line no-restricted-imports -- a synchronous load on first use, as colombian-holidays.ts does; no I/O besides loading code
import { createRequire } from 'node:module';

type RRulePackage = typeof import('rrule');
type RRuleInstance = InstanceType<RRulePackage['RRule']>;

let loaded: RRulePackage | undefined;
const rrulePackage = (): RRulePackage => (loaded ??= createRequire(import.meta.url)('rrule') as RRulePackage);

const DAY_MS = 86_400_000;
const WEEKDAY = '(MO|TU|WE|TH|FR|SA|SU)';

/** What each accepted RRULE part may hold; anything else (time parts, DTSTART, WKST…) is refused. */
const PARTS: Readonly<Record<string, { readonly pattern: RegExp; readonly hint: string }>> = {
  FREQ: { pattern: /^(DAILY|WEEKLY|MONTHLY|YEARLY)$/, hint: 'DAILY, WEEKLY, MONTHLY or YEARLY' },
  INTERVAL: { pattern: /^([1-9]\d{0,2})$/, hint: 'an integer 1–999' },
  COUNT: { pattern: /^([1-9]\d{0,3})$/, hint: 'an integer 1–9999' },
  UNTIL: { pattern: /^\d{8}$/, hint: 'a date YYYYMMDD' },
  BYDAY: {
    pattern: new RegExp(`^([+-]?([1-9]|[1-4]\\d|5[0-3])?${WEEKDAY})(,[+-]?([1-9]|[1-4]\\d|5[0-3])?${WEEKDAY})*$`),
    hint: 'weekdays like MO,TH or 2TU or -1FR',
  },
  BYMONTHDAY: { pattern: /^(-?([1-9]|[12]\d|3[01]))(,-?([1-9]|[12]\d|3[01]))*$/, hint: 'days of the month 1–31 or -1…-31' },
  BYMONTH: { pattern: /^([1-9]|1[0-2])(,([1-9]|1[0-2]))*$/, hint: 'months 1–12' },
  BYSETPOS: {
    pattern: /^(-?([1-9]|[1-9]\d|[1-2]\d\d|3[0-5]\d|36[0-6]))(,-?([1-9]|[1-9]\d|[1-2]\d\d|3[0-5]\d|36[0-6]))*$/,
    hint: 'positions ±1–366',
  },
};

export class RecurrenceError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'RecurrenceError';
  }
}

/** Why an RRULE text is refused, or undefined when it is a rule a plan can use. */
export function recurrenceProblem(text: string): string | undefined {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (!body) return 'empty rule';
  const seen = new Set<string>();
  for (const part of body.split(';')) {
    const [key = '', value = '', ...rest] = part.split('=');
    const name = key.trim().toUpperCase();
    const spec = PARTS[name];
    if (!spec) return `unsupported part ${JSON.stringify(name)} (allowed: ${Object.keys(PARTS).join(', ')})`;
    if (seen.has(name)) return `${name} given twice`;
    seen.add(name);
    if (rest.length || !spec.pattern.test(value.trim().toUpperCase())) return `${name} must be ${spec.hint}`;
  }
  if (!seen.has('FREQ')) return 'FREQ is required';
  if (seen.has('COUNT') && seen.has('UNTIL')) return 'COUNT and UNTIL exclude each other';
  try {
    rrulePackage().RRule.parseString(body.toUpperCase());
  } catch (err) {
    return err instanceof Error ? err.message : 'not an RRULE';
  }
  return undefined;
}

/** The canonical form of an accepted rule (upper case, no `RRULE:` prefix, no spaces). */
export function normalizeRecurrence(text: string): string {
  return text
    .trim()
    .replace(/^RRULE:/i, '')
    .replace(/\s+/g, '')
    .toUpperCase();
}

const asDate = (local: string): Date => new Date(`${local}T00:00:00.000Z`);
const asLocal = (d: Date): string => d.toISOString().slice(0, 10);

/** A checked rule anchored at a local start date; its occurrences are local `YYYY-MM-DD` dates. */
export interface Recurrence {
  /** Rule dates in [from, to), ascending. */
  between(from: string, to: string): string[];
  /** The last rule date strictly before `date`, if any. */
  before(date: string): string | undefined;
  /** Whether the rule ends (COUNT or UNTIL). */
  readonly finite: boolean;
  /** The final date of a rule that ends; undefined for a rule without end, or one with no date at all. */
  last(): string | undefined;
}

const compiled = new Map<string, RRuleInstance>();

/** The rule of `text` starting on `startDate`; a RecurrenceError when the text is refused. */
export function recurrence(text: string, startDate: string): Recurrence {
  const problem = recurrenceProblem(text);
  if (problem) throw new RecurrenceError(problem);
  const key = `${startDate}|${normalizeRecurrence(text)}`;
  let rule = compiled.get(key);
  if (!rule) {
    const { RRule } = rrulePackage();
    rule = new RRule({ ...RRule.parseString(normalizeRecurrence(text)), dtstart: asDate(startDate) });
    if (compiled.size > 1_000) compiled.clear();
    compiled.set(key, rule);
  }
  const r = rule;
  const { count, until } = r.options;
  return {
    finite: Boolean(count || until),
    between: (from, to) =>
      from >= to ? [] : r.between(asDate(from), new Date(asDate(to).getTime() - DAY_MS), true).map(asLocal),
    before: (date) => {
      const d = r.before(asDate(date), false);
      return d ? asLocal(d) : undefined;
    },
    last: () => {
      // UNTIL: the last date on or before it (no list of every date: a daily rule may run decades);
      // COUNT: at most 9 999 dates (PARTS above), so listing them is bounded.
      const d = until ? r.before(until, true) : count ? r.all().at(-1) : undefined;
      return d ? asLocal(d) : undefined;
    },
  };
}
