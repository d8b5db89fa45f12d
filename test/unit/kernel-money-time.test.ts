import { describe, expect, it } from 'vitest';
import { formatMoney } from '../../shared/domain/shared/money';
import { formatDateTime, localDate, localDateTime, startOfLocalDay } from '../../shared/domain/shared/time';

/** The texts these functions replaced wrote exactly these strings (e-mail, contracts, WhatsApp). */
describe('formatMoney', () => {
  const cop = (amount: number) => ({ amount, currency: 'COP' });

  it('standard: the locale’s currency format (e-mail and push)', () => {
    expect(formatMoney(cop(125_000_000), 'es-CO')).toBe('$\u00a01.250.000');
    expect(formatMoney(cop(125_000_000), 'en')).toBe('COP\u00a01,250,000');
    expect(formatMoney(cop(12_345), 'es-CO')).toBe('$\u00a0123');
    expect(formatMoney({ amount: 99, currency: 'USD' }, 'en')).toBe('$0.99');
    expect(formatMoney(cop(0), 'es-CO')).toBe('$\u00a00');
  });

  it('exact: minor units only when there are any (contracts)', () => {
    expect(formatMoney(cop(125_000_000), 'es-CO', 'exact')).toBe('$\u00a01.250.000');
    expect(formatMoney(cop(12_345), 'es-CO', 'exact')).toBe('$\u00a0123,45');
    expect(formatMoney({ amount: 5_000, currency: 'JPY' }, 'es-CO', 'exact')).toBe('JPY\u00a05.000');
    expect(formatMoney({ amount: 99, currency: 'USD' }, 'es-CO', 'exact')).toBe('US$\u00a00,99');
  });

  it('plain: whole pesos, ASCII spaces (WhatsApp)', () => {
    expect(formatMoney(cop(125_000_000), 'es-CO', 'plain')).toBe('$1.250.000');
    expect(formatMoney(cop(125_000_000), 'en', 'plain')).toBe('COP 1,250,000');
    expect(formatMoney(cop(12_345), 'es-CO', 'plain')).toBe('$123');
    expect(formatMoney(cop(0), 'en', 'plain')).toBe('COP 0');
  });
});

describe('client time (Colombia, UTC−5)', () => {
  it('local date and time of an instant', () => {
    expect(localDate(Date.parse('2026-06-02T04:59:00Z'))).toBe('2026-06-01');
    expect(localDate(Date.parse('2026-06-02T05:00:00Z'))).toBe('2026-06-02');
    expect(localDateTime('2026-03-02T19:30:00.000Z')).toBe('2026-03-02 14:30');
    expect(localDateTime('2026-01-01T04:59:00Z')).toBe('2025-12-31 23:59');
    expect(localDateTime('bad')).toBe('bad');
    expect(localDateTime('2026-03-02T19:30:00.000Z', 0)).toBe('2026-03-02 19:30');
  });

  it('the instant a local day begins', () => {
    expect(startOfLocalDay('2026-03-02')).toBe('2026-03-02T05:00:00.000Z');
    expect(startOfLocalDay('2026-03-02', 0)).toBe('2026-03-02T00:00:00.000Z');
  });

  it('an instant worded for a reader, in Bogotá time (as the e-mails wrote it)', () => {
    // The spaces ICU puts in times vary with its version: compare with the formatter the e-mails used.
    const before = (iso: string, locale: string) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Bogota' }).format(
        new Date(iso),
      );
    for (const locale of ['es-CO', 'en']) {
      for (const iso of ['2026-03-02T19:30:00.000Z', '2026-01-01T04:59:00Z'])
        expect(formatDateTime(iso, locale)).toBe(before(iso, locale));
    }
    expect(formatDateTime('2026-01-01T04:59:00Z', 'en')).toMatch(/^Dec 31, 2025, 11:59\sPM$/);
  });
});
