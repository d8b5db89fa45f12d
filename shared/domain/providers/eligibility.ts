import type { ServiceCategory } from '../orders/order';
import { invalidDocumentTypes, type Provider } from './provider';
import { rankScore } from './scorecard';

/** What an order needs from a provider (DESIGN 2.2). */
export interface EligibilityCriteria {
  readonly category: ServiceCategory;
  /** The site's city. */
  readonly city: string;
  /** The intended visit date (`YYYY-MM-DD`): every required document must be valid on it. */
  readonly visitDate: string;
}

/** Cities compare without case, accents or surrounding spaces: "Bogotá" is "bogota". */
export function normalizeCity(city: string): string {
  return city
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .trim()
    .toLowerCase();
}

/** Whether the provider works in this city (its listed cities, compared as `normalizeCity` does). */
export function coversCity(p: Pick<Provider, 'cities'>, city: string): boolean {
  const wanted = normalizeCity(city);
  return p.cities.some((c) => normalizeCity(c) === wanted);
}

/** Why a provider is not eligible; empty when it is. */
export function ineligibilityReasons(p: Provider, c: EligibilityCriteria): string[] {
  const reasons: string[] = [];
  if (p.status !== 'APPROVED') reasons.push(`status ${p.status}`);
  if (!p.categories.includes(c.category)) reasons.push(`does not cover ${c.category}`);
  if (!coversCity(p, c.city)) reasons.push(`does not cover ${c.city}`);
  const invalid = invalidDocumentTypes(p, c.visitDate);
  if (invalid.length) reasons.push(`documents not valid on ${c.visitDate}: ${invalid.join(', ')}`);
  return reasons;
}

/** The eligible providers, best scorecard first (ties: more completed orders, then id for stability). */
export function rankEligible(candidates: readonly Provider[], c: EligibilityCriteria): Provider[] {
  return candidates
    .filter((p) => ineligibilityReasons(p, c).length === 0)
    .sort(
      (a, b) =>
        rankScore(b.scorecard) - rankScore(a.scorecard) ||
        b.scorecard.ordersCompleted - a.scorecard.ordersCompleted ||
        a.id.localeCompare(b.id),
    );
}
