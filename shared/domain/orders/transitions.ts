import type { OrderHistoryEntry, OrderStatus } from './order';

/**
 * One status change of an order, as a partner that mirrors the order's status hears of it
 * (Qsystems, Asana): the history entry of order version `version`. The history is the source of
 * truth: every transition is there, once, numbered by the version it produced.
 */
export interface OrderTransition {
  readonly orderId: string;
  /** The order's version after the change (the history entry's `seq`): the transition's identity. */
  readonly version: number;
  readonly action: string;
  /** null for the creation (`SUBMITTED`). */
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly at: string;
}

/**
 * The status changes recorded after version `after`, oldest first: the creation counts (from
 * null to SUBMITTED); entries that keep the status (a quote submitted, a visit scheduled, a
 * rating, a closed quote round) do not. Entries are taken once per version whatever order and
 * repetition they come in.
 */
export function transitionsAfter(history: readonly OrderHistoryEntry[], after: number): OrderTransition[] {
  const byVersion = new Map<number, OrderHistoryEntry>();
  for (const h of history) if (h.seq > after && h.from !== h.to) byVersion.set(h.seq, h);
  return [...byVersion.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((h) => ({ orderId: h.orderId, version: h.seq, action: h.action, from: h.from, to: h.to, at: h.at }));
}
