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
