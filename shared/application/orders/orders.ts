import { isStaff } from '../../domain/access/principal';
import { clientIdOfOrder, makeOrderId } from '../../domain/shared/ids';
import {
  mayCreateOrderFor,
  submitOrder,
  type Contact,
  type NewOrder,
  type Order,
  type OrderChannel,
  type OrderHistoryEntry,
} from '../../domain/orders/order';
import { slaContextOf } from '../../domain/orders/sla-lifecycle';
import { canSeeOrder } from '../access';
import { toEvents, type CallContext } from '../context';
import { createOnce, newUlid, type Created } from '../idempotency';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors';
import type {
  ClientRepository,
  Clock,
  IdGenerator,
  OrderFilters,
  OrderRepository,
  Page,
  PageRequest,
  ProviderRepository,
  Versioned,
} from '../ports';

export const ORDERS_SOURCE = 'algesta/orders';

export interface OrderDeps {
  readonly orders: OrderRepository;
  readonly clients: ClientRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface CreateOrderInput extends Pick<
  NewOrder,
  'siteId' | 'assetCode' | 'category' | 'priority' | 'title' | 'description' | 'externalRef'
> {
  /** Required for staff; a client user's own client otherwise. */
  readonly clientId?: string;
  /** Staff creating on someone's behalf name the requester; otherwise the caller is the requester. */
  readonly requester?: Contact;
  /** The HTTP schema admits `dashboard` and `api`; `whatsapp` is set by the WhatsApp conversation. */
  readonly channel?: OrderChannel;
}

function clientOf(call: CallContext, input: CreateOrderInput): string {
  const p = call.principal;
  if (p.role === 'client') {
    // Naming another client is indistinguishable from naming one that does not exist.
    if (input.clientId && input.clientId !== p.clientId) throw new NotFoundError('client not found');
    return p.clientId as string;
  }
  if (!input.clientId)
    throw new InvalidInputError('clientId is required', [{ field: 'clientId', message: 'required for staff' }]);
  return input.clientId;
}

/**
 * `create`: reads the site and the client (its SLA terms; 2 point reads), writes order + history +
 * `order.submitted` in one batch. Under an `Idempotency-Key` the order's id is the request's, so a
 * retry's batch is refused as a whole and the retry answers the order the first attempt made.
 */
export async function createOrder(deps: OrderDeps, call: CallContext, input: CreateOrderInput): Promise<Created<Order>> {
  if (call.principal.role === 'provider') throw new ForbiddenError('providers do not create orders');
  const clientId = clientOf(call, input);
  if (!mayCreateOrderFor(call.principal, clientId)) throw new NotFoundError('client not found');
  const [site, client] = await Promise.all([deps.clients.getSite(clientId, input.siteId), deps.clients.get(clientId)]);
  if (!site || !client)
    throw new InvalidInputError('unknown site', [{ field: 'siteId', message: 'no such site for this client' }]);
  const p = call.principal;
  const requester = {
    userId: p.userId,
    name: input.requester?.name ?? p.name ?? p.userId,
    ...((input.requester?.email ?? p.email) ? { email: input.requester?.email ?? p.email } : {}),
    ...(input.requester?.phone ? { phone: input.requester.phone } : {}),
  };
  const decision = submitOrder(
    {
      id: makeOrderId(clientId, newUlid(call, deps.ids)),
      clientId,
      siteId: site.value.id,
      ...(input.assetCode ? { assetCode: input.assetCode } : {}),
      category: input.category,
      priority: input.priority,
      title: input.title,
      description: input.description,
      requester,
      channel: input.channel ?? (p.role === 'client' ? 'dashboard' : 'api'),
      ...(input.externalRef ? { externalRef: input.externalRef } : {}),
    },
    p,
    deps.clock.now().toISOString(),
    slaContextOf(client.value),
  );
  const { order } = decision;
  return createOnce(
    call,
    () => deps.orders.create(order, decision.history, toEvents(decision.events, ORDERS_SOURCE, call, deps)),
    () => deps.orders.get(clientId, order.id),
  );
}

/** One point read; an order outside the caller's scope is "not found". */
export async function getOrder(deps: Pick<OrderDeps, 'orders'>, call: CallContext, orderId: string): Promise<Versioned<Order>> {
  const clientId = clientIdOfOrder(orderId);
  const p = call.principal;
  // A client's scope is known from the id alone: no read for another client's order.
  if (!clientId || (p.role === 'client' && p.clientId !== clientId)) throw new NotFoundError('order not found');
  const found = await deps.orders.get(clientId, orderId);
  if (!found || !canSeeOrder(p, found.value)) throw new NotFoundError('order not found');
  return found;
}

export interface ListOrdersInput extends OrderFilters {
  /** Staff only: restrict to one client (a single-partition query). */
  readonly clientId?: string;
}

/**
 * A client lists its own orders (one partition). A provider lists the orders it was invited to or
 * assigned, from its materialized view (one partition). Staff list one client's (one partition), or
 * all (fan-out: the only cross-partition list).
 */
export async function listOrders(
  deps: { orders: OrderRepository; providers: Pick<ProviderRepository, 'listOrderViews'> },
  call: CallContext,
  input: ListOrdersInput,
  page: PageRequest,
): Promise<Page<Order>> {
  const p = call.principal;
  const { clientId, ...filters } = input;
  if (p.role === 'client') {
    if (clientId && clientId !== p.clientId) return { items: [] };
    return deps.orders.listForClient(p.clientId as string, filters, page);
  }
  if (p.role === 'provider') {
    return deps.providers.listOrderViews(p.providerId as string, { ...filters, ...(clientId ? { clientId } : {}) }, page);
  }
  if (!isStaff(p)) return { items: [] };
  return clientId ? deps.orders.listForClient(clientId, filters, page) : deps.orders.listAll(filters, page);
}

export async function getOrderHistory(
  deps: Pick<OrderDeps, 'orders'>,
  call: CallContext,
  orderId: string,
  page: PageRequest,
): Promise<Page<OrderHistoryEntry>> {
  const order = await getOrder(deps, call, orderId);
  return deps.orders.history(order.value.clientId, orderId, page);
}
