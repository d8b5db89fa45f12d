import type { ServiceCategory } from '../orders/vocabulary';
import { localDate } from '../shared/time';

/**
 * Provider documents (DESIGN 2.2) and their rules. Dates are calendar dates (`YYYY-MM-DD`) in
 * Colombia's time zone: "today" is decided by the caller (application) from its clock, so these
 * rules stay pure and testable.
 */
export const DOCUMENT_TYPES = [
  'rut',
  'chamber-of-commerce',
  'insurance-policy',
  'bank-certificate',
  'safety-certification',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** A chamber-of-commerce certificate is accepted only if issued within this many days. */
export const CHAMBER_CERTIFICATE_MAX_AGE_DAYS = 90;
/** Document types that carry an expiry date. */
export const EXPIRING_TYPES: readonly DocumentType[] = ['insurance-policy', 'safety-certification'];
/** Categories whose work is high-risk: their providers need a safety certification. */
export const SAFETY_CATEGORIES: readonly ServiceCategory[] = ['electrical', 'civil'];

/** Every provider needs the four company documents; high-risk categories add the safety certification. */
export function requiredDocumentTypes(categories: readonly ServiceCategory[]): DocumentType[] {
  const base: DocumentType[] = ['rut', 'chamber-of-commerce', 'insurance-policy', 'bank-certificate'];
  return categories.some((c) => SAFETY_CATEGORIES.includes(c)) ? [...base, 'safety-certification'] : base;
}

export interface DocumentFacts {
  readonly issuedAt?: string;
  readonly expiresAt?: string;
}

/** Whole days from `from` to `to` (calendar dates); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Why a document's dates are not acceptable today, field by field; empty when they are. Used when the
 * upload is requested and again when an operator approves it (time may have passed).
 */
export function documentFactProblems(
  type: DocumentType,
  facts: DocumentFacts,
  today: string,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (type === 'chamber-of-commerce') {
    if (!facts.issuedAt) problems.push({ field: 'issuedAt', message: 'required for a chamber-of-commerce certificate' });
    else if (daysBetween(facts.issuedAt, today) < 0) problems.push({ field: 'issuedAt', message: 'cannot be in the future' });
    else if (daysBetween(facts.issuedAt, today) > CHAMBER_CERTIFICATE_MAX_AGE_DAYS)
      problems.push({ field: 'issuedAt', message: `must be issued within the last ${CHAMBER_CERTIFICATE_MAX_AGE_DAYS} days` });
  }
  if (EXPIRING_TYPES.includes(type)) {
    if (!facts.expiresAt) problems.push({ field: 'expiresAt', message: `required for ${type}` });
    else if (daysBetween(today, facts.expiresAt) <= 0) problems.push({ field: 'expiresAt', message: 'must be in the future' });
  } else if (facts.expiresAt) {
    problems.push({ field: 'expiresAt', message: `${type} has no expiry date` });
  }
  return problems;
}

/** A document with an expiry is valid through its expiry date (inclusive); others do not expire. */
export function validOn(doc: DocumentFacts, date: string): boolean {
  return !doc.expiresAt || daysBetween(date, doc.expiresAt) >= 0;
}

/** Today's calendar date in Colombia. */
export function colombiaDate(instant: Date): string {
  return localDate(instant.getTime());
}
