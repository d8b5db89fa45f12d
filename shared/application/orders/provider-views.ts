import type { OrderRepository, ProviderRepository } from '../ports';

/**
 * The providers' listing of orders is a materialized view: one document per (provider, order) in
 * the provider's partition of the providers container, so that "my orders" is a single-partition
 * query (DESIGN 4.2; docs/data-model.md). It is refreshed from order events by re-reading the
 * order, so the view converges on the latest order whatever the order of deliveries.
 */
export interface ProviderViewDeps {
  readonly orders: Pick<OrderRepository, 'get'>;
  readonly providers: Pick<ProviderRepository, 'putOrderView'>;
}

/** Writes the current order into the view of every provider invited to it or assigned to it. */
export async function refreshProviderOrderViews(deps: ProviderViewDeps, clientId: string, orderId: string): Promise<number> {
  const current = await deps.orders.get(clientId, orderId);
  if (!current) return 0;
  const order = current.value;
  const viewers = new Set([...(order.invitedProviderIds ?? []), ...(order.providerId ? [order.providerId] : [])]);
  await Promise.all(
    [...viewers].map((providerId) =>
      deps.providers.putOrderView({ providerId, relation: order.providerId === providerId ? 'assigned' : 'invited', order }),
    ),
  );
  return viewers.size;
}
