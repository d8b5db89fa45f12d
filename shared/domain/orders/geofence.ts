/**
 * Geo-verified field work (issue 17): a site's coordinates and radius, the device's position at
 * check-in / check-out, and the verdict. Pure arithmetic; the lifecycle table and the invoice rules
 * call it, the API and WhatsApp only bring the position.
 */

export interface GeoPoint {
  /** Degrees, −90…90. */
  readonly lat: number;
  /** Degrees, −180…180. */
  readonly lon: number;
}

/** Where the device says it is; `accuracyMeters` is the radius the device itself reports (GPS fix quality). */
export interface DevicePosition extends GeoPoint {
  readonly accuracyMeters?: number;
}

/** A site's fence: its coordinates and how far from them counts as "on site". */
export interface SiteFence {
  readonly location: GeoPoint;
  readonly radiusMeters: number;
}

/** What a client decides for a position outside the fence: refuse (`hard`) or accept and flag (`soft`). */
export const GEOFENCE_POLICIES = ['hard', 'soft'] as const;
export type GeofencePolicy = (typeof GEOFENCE_POLICIES)[number];

/** The mean Earth radius (IUGG), metres: the haversine's sphere. */
export const EARTH_RADIUS_METERS = 6_371_008.8;

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine): symmetric, zero for one point, never negative. */
export function distanceMeters(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  // Rounding can push h a hair above 1 for antipodal points; asin would answer NaN.
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.sqrt(Math.min(1, Math.max(0, h))));
}

/**
 * What a check-in or check-out recorded about the position, as stored on its history entry:
 * - `within` / `outside`: measured (distance rounded to the metre); `flagged` when accepted outside;
 * - `unverified`: nothing to measure — the site has no coordinates, or no position was sent where
 *   the client's policy accepts that (soft).
 */
export type GeofenceCheck =
  | {
      readonly result: 'within' | 'outside';
      readonly distanceMeters: number;
      readonly radiusMeters: number;
      readonly accuracyMeters?: number;
      readonly flagged: boolean;
    }
  | { readonly result: 'unverified'; readonly reason: 'site-without-location' | 'no-position' };

/**
 * Inside or outside. The device's accuracy is credited, but never more than the radius itself: a
 * phone that says "I am within 30 m of here" is inside a 50 m fence when its fix is up to 80 m from
 * the centre; a fix claiming 5 km of uncertainty still has to be within twice the radius, so a
 * useless fix cannot pass from anywhere.
 */
export function judgePosition(
  fence: SiteFence,
  position: DevicePosition,
): Extract<GeofenceCheck, { result: 'within' | 'outside' }> {
  const distance = distanceMeters(fence.location, position);
  const credit = Math.min(Math.max(0, position.accuracyMeters ?? 0), fence.radiusMeters);
  const within = distance - credit <= fence.radiusMeters;
  return {
    result: within ? 'within' : 'outside',
    distanceMeters: Math.round(distance),
    radiusMeters: fence.radiusMeters,
    ...(position.accuracyMeters !== undefined ? { accuracyMeters: position.accuracyMeters } : {}),
    flagged: !within,
  };
}

/** The geofence decision at check-in / check-out: what to record, or why the move is refused. */
export type GeofenceDecision =
  | { readonly accepted: true; readonly check: GeofenceCheck }
  | { readonly accepted: false; readonly check?: GeofenceCheck; readonly message: string; readonly field: string };

/**
 * Under `hard`, a position outside the fence is refused, and so is a missing one where the site has
 * coordinates (otherwise not sending a position would be the way around the fence). Under `soft`
 * both are accepted: outside is flagged, a missing position recorded as unverified. A site without
 * coordinates cannot be checked either way.
 */
export function decideGeofence(
  fence: SiteFence | undefined,
  position: DevicePosition | undefined,
  policy: GeofencePolicy,
): GeofenceDecision {
  if (!fence) return { accepted: true, check: { result: 'unverified', reason: 'site-without-location' } };
  if (!position) {
    if (policy === 'hard') return { accepted: false, message: 'the site requires the device position', field: 'position' };
    return { accepted: true, check: { result: 'unverified', reason: 'no-position' } };
  }
  const check = judgePosition(fence, position);
  if (check.result === 'outside' && policy === 'hard')
    return {
      accepted: false,
      check,
      message: `the position is ${check.distanceMeters} m from the site; it must be within ${fence.radiusMeters} m`,
      field: 'position',
    };
  return { accepted: true, check };
}
