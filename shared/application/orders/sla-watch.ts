import { settleSla } from '../../domain/orders/sla-lifecycle';
import { toEvents } from '../context';
import type { Clock, IdGenerator, OrderRepository } from '../ports';
import type { SystemCall } from './lifecycle';
import { ORDERS_SOURCE } from './orders';
import { amend } from './orders-workflow';

/**
 * The SLA watch (DESIGN 2.1): scheduled `order.sla-check-due` messages wake it at each order's next
 * 75 % or breach mark, and a timer sweep catches any check whose message never arrived. Both run
 * `checkOrderSla`, which is idempotent: the clocks remember which events they raised.
 */
export interface SlaWatchDeps {
  readonly orders: OrderRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** How long a due check is left to its scheduled message before the sweep does it. */
export const SWEEP_GRACE_MS = 2 * 60_000;
const SWEEP_BATCH = 100;

/**
 * Evaluates one order's clocks now: raises the SLA events that are due (once per clock), stores the
 * status and the next check, and schedules that check. `checkAt` is the time the waking message was
 * scheduled for; when it is the order's live check, its successor is always scheduled. Writes only
 * when something changed; a concurrent write to the order is retried on the fresh version.
 */
export async function checkOrderSla(
  deps: SlaWatchDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  checkAt?: string,
): Promise<{ raised: string[] }> {
  let raised: string[] = [];
  await amend(deps, clientId, orderId, async (order) => {
    raised = [];
    if (!order.sla) return undefined;
    const now = deps.clock.now().toISOString();
    const settled = settleSla({ ...order, sla: order.sla }, now, checkAt !== undefined && checkAt === order.slaNextCheckAt);
    const changed =
      settled.events.length > 0 ||
      settled.patch.slaStatus !== order.slaStatus ||
      settled.patch.slaNextCheckAt !== order.slaNextCheckAt;
    if (!changed) return undefined;
    raised = settled.events.filter((e) => e.type !== 'order.sla-check-due').map((e) => e.type);
    return { patch: settled.patch, events: toEvents(settled.events, ORDERS_SOURCE, call, deps) };
  });
  return { raised };
}

/** The timer's sweep: every order whose next check is overdue by more than the grace period. */
export async function sweepSla(deps: SlaWatchDeps, call: SystemCall): Promise<number> {
  const by = new Date(deps.clock.now().getTime() - SWEEP_GRACE_MS).toISOString();
  const due = await deps.orders.findSlaChecksDue(by, SWEEP_BATCH);
  for (const d of due) await checkOrderSla(deps, call, d.clientId, d.orderId, d.checkAt);
  return due.length;
}
