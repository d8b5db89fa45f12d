import type { Order } from '../../domain/orders/order';
import { applyPatch } from '../../domain/orders/lifecycle';
import type { DomainEvent } from '../../domain/shared/events';
import type { AssetRegistry } from '../assets';
import { decidedAgainOnLostRace } from '../lost-race';
import type { Clock, OrderRepository, Versioned } from '../ports';

/**
 * The orders workflow's partner steps (DESIGN 2.1, 3): the asset of a submitted order is validated
 * and enriched through the assets system, and a closed order's maintenance record is posted to it.
 * Both are idempotent (what was done is written on the order), so a redelivered event does nothing
 * twice; neither is a lifecycle transition, so neither adds a history entry or a version.
 */
export interface OrdersWorkflowDeps {
  readonly orders: OrderRepository;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
}

/** What a background step does to an order: fields to set (undefined clears one), events to emit with it. */
export interface Amendment {
  readonly patch: Partial<Order>;
  readonly events?: readonly DomainEvent[];
}

/**
 * Reads the order, applies `change` (undefined: nothing to do) and writes it with its events,
 * without a history entry or a new version (not a transition), re-reading and deciding again when
 * a concurrent write wins the race. The one way background steps (the workflows, the SLA watch)
 * change an order.
 */
export async function amend(
  deps: { readonly orders: OrderRepository },
  clientId: string,
  orderId: string,
  change: (o: Order) => Promise<Amendment | undefined>,
): Promise<Versioned<Order> | undefined> {
  return decidedAgainOnLostRace(async () => {
    const current = await deps.orders.get(clientId, orderId);
    if (!current) return undefined;
    const amendment = await change(current.value);
    if (!amendment) return current;
    return deps.orders.save(applyPatch(current.value, amendment.patch), current.etag, [], amendment.events ?? []);
  });
}

/**
 * `order.submitted`: looks the order's asset code up at its client and site. A known asset is
 * recorded on the order; an unknown one is flagged for the operators' triage, never a failure.
 */
export function enrichOrderAsset(deps: OrdersWorkflowDeps, clientId: string, orderId: string) {
  return amend(deps, clientId, orderId, async (o) => {
    if (!o.assetCode || o.asset || o.assetTriage) return undefined;
    const found = await deps.assets.find(o.clientId, o.siteId, o.assetCode);
    if (found)
      return { patch: { asset: { code: found.code, name: found.name, ...(found.model ? { model: found.model } : {}) } } };
    const reason = `the assets system does not know asset ${o.assetCode} at this site`;
    return { patch: { assetTriage: { reason, at: deps.clock.now().toISOString() } } };
  });
}

/** `order.status-changed` to CLOSED: posts the maintenance record of a validated asset, once. */
export function recordOrderMaintenance(deps: OrdersWorkflowDeps, clientId: string, orderId: string) {
  return amend(deps, clientId, orderId, async (o) => {
    if (o.status !== 'CLOSED' || !o.asset || o.maintenanceRecordedAt) return undefined;
    const closedAt = o.updatedAt;
    await deps.assets.recordMaintenance({
      orderId: o.id,
      clientId: o.clientId,
      siteId: o.siteId,
      assetCode: o.asset.code,
      category: o.category,
      ...(o.providerId ? { providerId: o.providerId } : {}),
      summary: o.completion?.report ?? o.title,
      ...(o.completion ? { completedAt: o.completion.at } : {}),
      closedAt,
    });
    return { patch: { maintenanceRecordedAt: deps.clock.now().toISOString() } };
  });
}
