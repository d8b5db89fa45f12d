/**
 * Colombian NIT (Número de Identificación Tributaria): a base number and a check digit computed by
 * DIAN's modulo-11 algorithm with the prime weights 3, 7, 13, ... applied from the rightmost digit.
 * Accepted forms: `900123456-7`, `900.123.456-7`, `9001234567` (the last digit is the check digit).
 * The canonical form, stored and compared for uniqueness, is `900123456-7`.
 */
const WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;

export function nitCheckDigit(base: string): number {
  let sum = 0;
  const digits = [...base].reverse();
  digits.forEach((d, i) => (sum += Number(d) * WEIGHTS[i]!));
  const r = sum % 11;
  return r > 1 ? 11 - r : r;
}

export type NitResult = { ok: true; nit: string } | { ok: false; reason: string };

export function parseNit(input: string): NitResult {
  const compact = input.replace(/[\s.]/g, '');
  const m = /^(\d{6,15})-?(\d)$/.exec(compact);
  if (!m) return { ok: false, reason: 'a NIT is 6 to 15 digits and a check digit, e.g. 900123456-7' };
  const [, base, dv] = m as unknown as [string, string, string];
  const expected = nitCheckDigit(base);
  if (Number(dv) !== expected) return { ok: false, reason: `check digit ${dv} does not match ${base} (expected ${expected})` };
  return { ok: true, nit: `${base}-${dv}` };
}
