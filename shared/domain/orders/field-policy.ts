import type { AttachmentKind } from './attachment';
import { GEOFENCE_POLICIES, type GeofencePolicy, type SiteFence } from './geofence';

/**
 * A client's field and invoice policy (issue 17): how its geofence is enforced, which invoice rules
 * refuse an invoice (hard) rather than hold it for review (soft), how much the billed labour may
 * exceed the time on site, its rate card and the evidence an invoice needs. Data, validated here;
 * the rules that read it live in invoice-rules.ts and geofence.ts.
 */

/** The invoice rules, in the order they are reported. */
export const INVOICE_RULE_IDS = [
  'amount-within-nte',
  'invoice-number-unique',
  'required-evidence',
  'labour-within-time-on-site',
  'materials-within-rate-card',
  'check-in-within-radius',
] as const;
export type InvoiceRuleId = (typeof INVOICE_RULE_IDS)[number];

/** Always hard, whatever the client says: the NTE is contractual and a number is invoiced once. */
export const ALWAYS_HARD_RULES: readonly InvoiceRuleId[] = ['amount-within-nte', 'invoice-number-unique'];

export interface RateCard {
  /** The card's currency: lines of an invoice in another currency are not compared. */
  readonly currency: string;
  /** Material code → the highest unit price accepted, in minor units. */
  readonly materials: Readonly<Record<string, number>>;
  /** The highest price of one hour of labour, in minor units, when the card has one. */
  readonly hourlyLabourRate?: number;
}

export interface FieldPolicy {
  readonly geofence: GeofencePolicy;
  /** Rules the client makes hard, beyond the always-hard ones. */
  readonly hardRules: readonly InvoiceRuleId[];
  /**
   * How much billed labour may exceed the time on site: minutes, a percentage of the time on site,
   * or both (the larger allowance applies).
   */
  readonly labourTolerance: { readonly minutes?: number; readonly percent?: number };
  readonly rateCard?: RateCard;
  /** Attachment kinds the order must carry (stored) when it is invoiced, e.g. `invoice` for the PDF. */
  readonly requiredEvidence: readonly AttachmentKind[];
}

/** A client without a policy: soft geofence, only the always-hard rules, 15 minutes of labour tolerance, nothing required. */
export const DEFAULT_FIELD_POLICY: FieldPolicy = {
  geofence: 'soft',
  hardRules: [],
  labourTolerance: { minutes: 15 },
  requiredEvidence: [],
};

export interface PolicyFieldError {
  readonly field: string;
  readonly message: string;
}

/** Tolerances above a working day, or radii above 50 km, are typos rather than policy. */
export const MAX_TOLERANCE_MINUTES = 24 * 60;
export const MAX_RADIUS_METERS = 50_000;
const SELECTABLE_EVIDENCE: readonly AttachmentKind[] = ['photo', 'evidence', 'invoice', 'other'];

const isWhole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n);
const isFiniteNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * Every reason the policy is not usable, with the field it concerns (the API answers 400 with all
 * of them and writes nothing). The HTTP schema checks the shape; this checks the meaning, so any
 * caller of the use case gets the same answer.
 */
export function fieldPolicyErrors(p: FieldPolicy): PolicyFieldError[] {
  const errors: PolicyFieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  if (!(GEOFENCE_POLICIES as readonly string[]).includes(p.geofence)) err('geofence', 'hard or soft');
  p.hardRules.forEach((r, i) => {
    if (!(INVOICE_RULE_IDS as readonly string[]).includes(r)) err(`hardRules/${i}`, 'not an invoice rule');
  });
  if (new Set(p.hardRules).size !== p.hardRules.length) err('hardRules', 'a rule is listed twice');
  const { minutes, percent } = p.labourTolerance;
  if (minutes !== undefined && (!isWhole(minutes) || minutes < 0 || minutes > MAX_TOLERANCE_MINUTES))
    err('labourTolerance/minutes', `whole minutes between 0 and ${MAX_TOLERANCE_MINUTES}`);
  if (percent !== undefined && (!isFiniteNumber(percent) || percent < 0 || percent > 100))
    err('labourTolerance/percent', 'between 0 and 100');
  if (p.rateCard) {
    const card = p.rateCard;
    if (!/^[A-Z]{3}$/.test(card.currency)) err('rateCard/currency', 'ISO 4217 code');
    for (const [code, price] of Object.entries(card.materials)) {
      if (!code.trim()) err('rateCard/materials', 'material codes may not be blank');
      if (!isWhole(price) || price <= 0) err(`rateCard/materials/${code}`, 'a positive whole amount in minor units');
    }
    if (card.hourlyLabourRate !== undefined && (!isWhole(card.hourlyLabourRate) || card.hourlyLabourRate <= 0))
      err('rateCard/hourlyLabourRate', 'a positive whole amount in minor units');
  }
  p.requiredEvidence.forEach((k, i) => {
    if (!SELECTABLE_EVIDENCE.includes(k)) err(`requiredEvidence/${i}`, `one of ${SELECTABLE_EVIDENCE.join(', ')}`);
  });
  if (new Set(p.requiredEvidence).size !== p.requiredEvidence.length) err('requiredEvidence', 'a kind is listed twice');
  return errors;
}

/** A site's fence must be a real place and a positive radius (0 would refuse everyone). */
export function siteFenceErrors(fence: SiteFence): PolicyFieldError[] {
  const errors: PolicyFieldError[] = [];
  const { lat, lon } = fence.location;
  if (!isFiniteNumber(lat) || lat < -90 || lat > 90)
    errors.push({ field: 'location/lat', message: 'degrees between -90 and 90' });
  if (!isFiniteNumber(lon) || lon < -180 || lon > 180)
    errors.push({ field: 'location/lon', message: 'degrees between -180 and 180' });
  if (!isFiniteNumber(fence.radiusMeters) || fence.radiusMeters <= 0 || fence.radiusMeters > MAX_RADIUS_METERS)
    errors.push({ field: 'radiusMeters', message: `greater than 0 and at most ${MAX_RADIUS_METERS}` });
  return errors;
}

/** The policy in force for a client: its own, or the default. */
export const fieldPolicyOf = (client: { readonly fieldPolicy?: FieldPolicy } | undefined): FieldPolicy =>
  client?.fieldPolicy ?? DEFAULT_FIELD_POLICY;
