import type { OrderRepository } from '../../application/ports';
import type { OrderHistoryEntry } from '../../domain/orders/order';
import type { DomainEvent } from '../../domain/shared/events';
import type { OrderSlaData } from '../../domain/events/catalogue';
import type { AppInstruments } from '../../platform/telemetry';

/**
 * The order repository, counting what each committed write did (docs/operations.md, "Metrics"):
 * every state an order entered (its history entries that change the status — a create's included)
 * and every SLA breach it recorded (`order.sla-breached`). Counted after the write succeeds, from
 * the same history and events the write stored, so a refused or conflicting write counts nothing
 * and every path that moves an order (actions, workflows, the SLA watch) is counted once.
 */
export function meteredOrders(inner: OrderRepository, instruments: AppInstruments): OrderRepository {
  const count = (history: readonly OrderHistoryEntry[], events: readonly DomainEvent[]) => {
    for (const h of history) if (h.from !== h.to) instruments.orderEnteredState(h.to);
    for (const e of events) {
      if (e.type !== 'order.sla-breached') continue;
      const data = e.data as OrderSlaData;
      instruments.slaBreached({ clock: data.clock, priority: data.priority });
    }
  };
  return Object.assign(Object.create(inner) as OrderRepository, {
    async create(...args: Parameters<OrderRepository['create']>) {
      const written = await inner.create(...args);
      count(args[1], args[2]);
      return written;
    },
    async save(...args: Parameters<OrderRepository['save']>) {
      const written = await inner.save(...args);
      count(args[2], args[3]);
      return written;
    },
  });
}
