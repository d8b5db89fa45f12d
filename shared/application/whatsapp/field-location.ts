import type { Result } from '../../domain/whatsapp/dialog';
import { fieldTarget } from '../../domain/whatsapp/field-location';
import { judgePosition, type GeoPoint } from '../../domain/orders/geofence';
import type { CallContext } from '../context';
import { InvalidInputError } from '../errors';
import { fenceFacts } from '../orders/field-facts';
import { performOrderAction, type LifecycleDeps } from '../orders/lifecycle';
import { getOrder, listOrders } from '../orders/orders';

/**
 * A provider shared its location on WhatsApp (issue 17): check in at, or out of, its current order
 * (the domain picks which: field-location.ts) through the same lifecycle action the API uses, with
 * the position. The reply tells the distance the lifecycle measured (the same pure function); a hard
 * geofence's refusal becomes `outside-site`, the order unchanged.
 */
export async function shareFieldLocation(deps: LifecycleDeps, call: CallContext, position: GeoPoint): Promise<Result> {
  const providerId = call.principal.providerId ?? '';
  const now = deps.clock.now().toISOString();
  // The provider's list is its order view (one partition); a few open visits at most.
  const candidates = await Promise.all(
    (['IN_PROGRESS', 'ON_HOLD', 'SCHEDULED'] as const).map((status) =>
      listOrders(deps, call, { status, providerId }, { limit: 20 }).then((p) => p.items),
    ),
  );
  const target = fieldTarget(candidates.flat(), now);
  if (!target) return { kind: 'no-field-order' };
  const moved = await performOrderActionOrOutside(deps, call, target.orderId, target.action, position);
  // The reply tells what the lifecycle measured: the same pure verdict on the same site.
  const { fence } = await fenceFacts(deps, moved ?? (await getOrder(deps, call, target.orderId)).value);
  const measured = fence ? judgePosition(fence, position) : undefined;
  const distance = measured ? { distanceMeters: measured.distanceMeters, radiusMeters: measured.radiusMeters } : undefined;
  // Refused means the site has a fence (a position was sent, so only "outside" can refuse it).
  if (!moved)
    return { kind: 'outside-site', orderId: target.orderId, distance: distance ?? { distanceMeters: 0, radiusMeters: 0 } };
  const told = distance && measured ? { distance: { ...distance, flagged: measured.flagged } } : {};
  return { kind: target.action === 'check-in' ? 'checked-in' : 'checked-out', orderId: target.orderId, ...told };
}

/** The order after the move, or undefined when the geofence refused the position (a 422 on `position`). */
async function performOrderActionOrOutside(
  deps: LifecycleDeps,
  call: CallContext,
  orderId: string,
  action: 'check-in' | 'check-out',
  position: GeoPoint,
) {
  try {
    return (await performOrderAction(deps, call, orderId, action, { position })).value;
  } catch (err) {
    if (err instanceof InvalidInputError && err.fieldErrors.some((f) => f.field === 'position')) return undefined;
    throw err;
  }
}
