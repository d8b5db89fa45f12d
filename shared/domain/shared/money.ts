/** Money as an integer amount in minor units with an ISO 4217 currency; never floating point. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export const DEFAULT_CURRENCY = 'COP';

export function isValidMoney(m: Money): boolean {
  return Number.isSafeInteger(m.amount) && m.amount >= 0 && /^[A-Z]{3}$/.test(m.currency);
}

/** True when `limit` covers `amount` (same currency required: no implicit conversion). */
export function covers(limit: Money, amount: Money): boolean {
  return limit.currency === amount.currency && limit.amount >= amount.amount;
}

/** ISO 4217 currencies whose minor unit is not the hundredth. */
const EXPONENT: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'].map((c) => [
      c,
      0,
    ]),
  ),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((c) => [c, 3])),
};

/** Digits of the minor unit: 2 for COP (centavos), 0 for JPY, 3 for KWD. */
export function minorUnitDigits(currency: string): number {
  return EXPONENT[currency] ?? 2;
}

/**
 * How an amount is written:
 * - `standard` (e-mail, push): the locale's currency format with its usual digits —
 *   `$ 1.250.000` (es-CO; COP is shown without centavos), `COP 1,250,000` (en);
 * - `exact` (contracts): the minor units when there are any, none when the amount is whole —
 *   `$ 1.250.000`, `$ 123,45`;
 * - `plain` (WhatsApp texts): whole units, no non-breaking space, the peso sign in Spanish —
 *   `$1.250.000` (es-CO), `COP 1,250,000` (en).
 */
export type MoneyStyle = 'standard' | 'exact' | 'plain';

/** Building an `Intl.NumberFormat` costs far more than using one: one per locale, currency and digits. */
const numberFormats = new Map<string, Intl.NumberFormat>();

function currencyFormat(locale: string, currency: string, fractionDigits?: number): Intl.NumberFormat {
  const key = `${locale}|${currency}|${fractionDigits ?? ''}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      ...(fractionDigits === undefined ? {} : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits }),
    });
    numberFormats.set(key, format);
  }
  return format;
}

/** An amount for people to read in `locale` (`es-CO`, `en`); see `MoneyStyle`. */
export function formatMoney(m: Money, locale: string, style: MoneyStyle = 'standard'): string {
  const digits = minorUnitDigits(m.currency);
  const units = m.amount / 10 ** digits;
  switch (style) {
    case 'standard':
      return currencyFormat(locale, m.currency).format(units);
    case 'exact':
      return currencyFormat(locale, m.currency, m.amount % 10 ** digits === 0 ? 0 : digits).format(units);
    case 'plain': {
      const english = locale === 'en';
      const whole = String(Math.floor(units)).replace(/\B(?=(\d{3})+(?!\d))/g, english ? ',' : '.');
      return !english && m.currency === 'COP' ? `$${whole}` : `${m.currency} ${whole}`;
    }
  }
}
