import type { OrderStatus } from '../orders/vocabulary';

/**
 * Which order a provider's shared location is for (issue 17), from its assigned orders: an order it
 * is on site at (checked in, not out; in progress or on hold) is checked out; otherwise a scheduled
 * order is checked in — the one whose visit is nearest to now when there are several. None: the
 * provider is told there is nothing to check in or out of.
 */
export interface FieldCandidate {
  readonly id: string;
  readonly status: OrderStatus;
  readonly visitAt?: string;
  readonly onSite?: { readonly checkedInAt: string; readonly checkedOutAt?: string };
}

export type FieldTarget = { readonly action: 'check-in' | 'check-out'; readonly orderId: string };

export function fieldTarget(orders: readonly FieldCandidate[], now: string): FieldTarget | undefined {
  const onSite = orders.find((o) => (o.status === 'IN_PROGRESS' || o.status === 'ON_HOLD') && o.onSite && !o.onSite.checkedOutAt);
  if (onSite) return { action: 'check-out', orderId: onSite.id };
  const t = Date.parse(now);
  const scheduled = orders
    .filter((o) => o.status === 'SCHEDULED' && o.visitAt)
    .sort(
      (a, b) =>
        Math.abs(Date.parse(a.visitAt ?? now) - t) - Math.abs(Date.parse(b.visitAt ?? now) - t) || a.id.localeCompare(b.id),
    );
  const first = scheduled[0];
  return first ? { action: 'check-in', orderId: first.id } : undefined;
}
