import type { Principal } from '../../shared/domain/access/principal';
import type { SlaPolicyOverride } from '../../shared/domain/orders/sla';
import type { Priority } from '../../shared/domain/orders/order';
import { demoProvider } from '../../local/seed';
import { createOrder } from '../../shared/application/orders/orders';
import { performOrderAction, type LifecycleDeps } from '../../shared/application/orders/lifecycle';
import { MemoryAttachments, MemoryClients, MemoryOrders, MemoryProviders, MemoryUsers, sequentialIds } from './memory';

/**
 * One client with a site in Bogotá and one approved provider, in memory, with a clock the test
 * moves: the world the order use cases are exercised in without any I/O.
 */
export const CLIENT = 'cli_00000000000000000000000001';
export const PROVIDER = 'prv_00000000000000000000000001';
export const operator: Principal = { userId: 'u-op', role: 'operator' };
export const client: Principal = { userId: 'u-cli', role: 'client', clientId: CLIENT };
export const provider: Principal = { userId: 'u-prv', role: 'provider', providerId: PROVIDER };
export const MIN = 60_000;

export async function world(start: string, slaPolicy?: SlaPolicyOverride) {
  let now = new Date(start);
  const clients = new MemoryClients();
  const orders = new MemoryOrders();
  const providers = new MemoryProviders();
  const attachments = new MemoryAttachments();
  await clients.create({
    id: CLIENT,
    name: 'A',
    timeZone: 'America/Bogota',
    currency: 'COP',
    ...(slaPolicy ? { slaPolicy } : {}),
    createdAt: start,
    createdBy: 'x',
  });
  await clients.addSite({ id: 'sit_1', clientId: CLIENT, name: 'HQ', address: 'Cra 1', city: 'Bogotá', createdAt: start });
  await providers.create(demoProvider(PROVIDER, 'P', '800197268-4', ['hvac'], ['Bogotá']), [], []);
  const deps: LifecycleDeps = {
    orders,
    clients,
    providers,
    users: new MemoryUsers(),
    attachments,
    clock: { now: () => now },
    ids: sequentialIds(),
  };
  const call = (principal: Principal) => ({ principal, correlationId: 'c' });
  return {
    deps,
    orders,
    attachments,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
    at: (iso: string) => (now = new Date(iso)),
    now: () => now.toISOString(),
    async create(priority: Priority) {
      return (
        await createOrder(deps, call(client), { siteId: 'sit_1', category: 'hvac', priority, title: 'AC', description: 'x' })
      ).value;
    },
    act: (orderId: string, by: Principal, action: Parameters<typeof performOrderAction>[3], body: Record<string, unknown> = {}) =>
      performOrderAction(deps, call(by), orderId, action, body),
    async get(orderId: string) {
      return (await orders.get(CLIENT, orderId))!.value;
    },
    /** SLA events recorded so far for the order, as `type clock`. */
    slaEvents(orderId: string) {
      return orders.events
        .filter((e) => e.subject === orderId && (e.type === 'order.sla-at-risk' || e.type === 'order.sla-breached'))
        .map((e) => `${e.type} ${(e.data as { clock: string }).clock}`);
    },
    checks(orderId: string) {
      return orders.events.filter((e) => e.subject === orderId && e.type === 'order.sla-check-due');
    },
  };
}

export type World = Awaited<ReturnType<typeof world>>;

/** A confirmed photo on the order: the evidence `complete` (and a failed checklist item) needs. */
export function storedPhoto(w: Pick<World, 'attachments' | 'now'>, orderId: string, id = 'att_photo', createdBy = 'x') {
  return w.attachments.put({
    id,
    orderId,
    clientId: CLIENT,
    kind: 'photo',
    fileName: 'p.jpg',
    contentType: 'image/jpeg',
    size: 1,
    blobName: 'b',
    status: 'STORED',
    createdAt: w.now(),
    createdBy,
  });
}
