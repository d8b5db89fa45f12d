import { createHash } from 'node:crypto';
import { isStaff } from '../../domain/access/principal';
import { followUpSource } from '../../domain/orders/checklist';
import { submitOrder, type Order, type Priority } from '../../domain/orders/order';
import { slaContextOf, DEFAULT_SLA_CONTEXT } from '../../domain/orders/sla-lifecycle';
import { makeOrderId } from '../../domain/shared/ids';
import { toEvents, type CallContext } from '../context';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import type { Versioned } from '../ports';
import { ulidOfBits } from '../ulid';
import { amend } from './orders-workflow';
import { getOrder, ORDERS_SOURCE, type OrderDeps } from './orders';

/**
 * A follow-up corrective order from a failed checklist item (docs/plans.md, "Follow-ups"): staff
 * open it; it names the item it comes from (`followUpOf`) and the original order lists it
 * (`followUps`). Its id is derived from (order, item), so asking twice opens one order.
 */
export function followUpOrderId(clientId: string, orderId: string, itemId: string, at: number): string {
  const bits = BigInt(
    `0x${createHash('sha256').update(`follow-up#${orderId}#${itemId}`, 'utf8').digest().subarray(0, 10).toString('hex')}`,
  );
  return makeOrderId(clientId, ulidOfBits(at, bits));
}

export async function openFollowUp(
  deps: OrderDeps,
  call: CallContext,
  orderId: string,
  itemId: string,
  input: { priority?: Priority } = {},
): Promise<{ created: boolean; order: Versioned<Order> }> {
  const original = await getOrder(deps, call, orderId);
  if (!isStaff(call.principal)) throw new ForbiddenError('only staff open follow-up orders');
  const source = followUpSource(original.value.checklist, itemId);
  if ('problem' in source) {
    if (!original.value.checklist?.some((i) => i.id === itemId)) throw new NotFoundError(source.problem);
    throw new ConflictError(source.problem);
  }
  const o = original.value;
  const { item } = source;
  // The time part of the id is the failed answer's, so the same item always gives the same id.
  const id = followUpOrderId(o.clientId, o.id, item.id, Date.parse(item.answer.at));
  let created = false;
  let order = await deps.orders.get(o.clientId, id);
  if (!order) {
    const client = await deps.clients.get(o.clientId);
    const p = call.principal;
    const decision = submitOrder(
      {
        id,
        clientId: o.clientId,
        siteId: o.siteId,
        ...(o.assetCode ? { assetCode: o.assetCode } : {}),
        category: o.category,
        priority: input.priority ?? 'P3',
        title: `${item.label} — ${o.title}`.slice(0, 200),
        description:
          `${item.answer.note ?? ''}\n\n(Checklist item "${item.label}" failed on order ${o.id}` +
          `${item.answer.attachmentId ? `; photo ${item.answer.attachmentId}` : ''}.)`,
        requester: { userId: p.userId, name: p.name ?? p.userId, ...(p.email ? { email: p.email } : {}) },
        channel: 'api',
        followUpOf: { orderId: o.id, checklistItemId: item.id },
      },
      p,
      deps.clock.now().toISOString(),
      client ? slaContextOf(client.value) : DEFAULT_SLA_CONTEXT,
    );
    try {
      order = await deps.orders.create(decision.order, decision.history, toEvents(decision.events, ORDERS_SOURCE, call, deps));
      created = true;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      order = await deps.orders.get(o.clientId, id);
    }
  }
  // The original lists its follow-up (again after a crash between the two writes: idempotent).
  await amend(deps, o.clientId, o.id, async (current) =>
    current.followUps?.some((f) => f.orderId === id)
      ? undefined
      : { patch: { followUps: [...(current.followUps ?? []), { orderId: id, checklistItemId: item.id }] } },
  );
  if (!order) throw new ConflictError('the follow-up order could not be read back; try again');
  return { created, order };
}
