import type { Principal } from '../access/principal';
import type { EventDraft } from '../shared/events';
import type { OrderLifecycle } from './lifecycle';
import { openSla, type SlaContext } from './sla-lifecycle';

export const ORDER_STATUSES = [
  'SUBMITTED',
  'TRIAGED',
  'REJECTED',
  'QUOTING',
  'AWAITING_APPROVAL',
  'CONTRACTING',
  'SCHEDULED',
  'IN_PROGRESS',
  'ON_HOLD',
  'WORK_COMPLETED',
  'VERIFIED',
  'INVOICED',
  'CLOSED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const SERVICE_CATEGORIES = ['electrical', 'plumbing', 'hvac', 'civil', 'locksmith', 'cleaning', 'it', 'other'] as const;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const ORDER_CHANNELS = ['dashboard', 'whatsapp', 'api'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];

export interface Contact {
  readonly name: string;
  readonly email?: string;
  readonly phone?: string;
}

/** An order: what was asked for, plus what its lifecycle has filled in so far (lifecycle.ts). */
export interface Order extends OrderLifecycle {
  readonly id: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly assetCode?: string;
  /** What the assets system knows of `assetCode` (set by the orders workflow). */
  readonly asset?: { readonly code: string; readonly name: string; readonly model?: string };
  /** Set instead of `asset` when the assets system does not know the code: an operator looks at it. */
  readonly assetTriage?: { readonly reason: string; readonly at: string };
  /** When the maintenance record of a closed order was posted to the assets system. */
  readonly maintenanceRecordedAt?: string;
  readonly category: ServiceCategory;
  readonly priority: Priority;
  readonly title: string;
  readonly description: string;
  readonly requester: Contact & { readonly userId: string };
  readonly channel: OrderChannel;
  readonly status: OrderStatus;
  /** Reference in the client's own ticket system (Qsystems), when it has one. */
  readonly externalRef?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Increases by one with every change: consumers use it as an idempotency guard. */
  readonly version: number;
}

export interface OrderHistoryEntry {
  readonly orderId: string;
  /** Position in the order's history, 1 for the creation. */
  readonly seq: number;
  readonly at: string;
  readonly by: { readonly userId: string; readonly role: Principal['role'] | 'system' };
  readonly action: string;
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly reason?: string;
  readonly details?: Record<string, unknown>;
}

export interface OrderSubmittedData {
  readonly orderId: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly category: ServiceCategory;
  readonly priority: Priority;
  readonly title: string;
  readonly requesterUserId: string;
  readonly channel: OrderChannel;
}

/** What a creator decides; the rest of an order is set by the lifecycle. */
export type NewOrder = Omit<
  Order,
  'status' | 'createdAt' | 'updatedAt' | 'version' | 'asset' | 'assetTriage' | 'maintenanceRecordedAt' | keyof OrderLifecycle
>;

export interface OrderDecision {
  readonly order: Order;
  readonly history: readonly OrderHistoryEntry[];
  readonly events: readonly EventDraft[];
}

/** `create` in the state table: a new order starts SUBMITTED, with its first history entry and event. */
export function submitOrder(input: NewOrder, by: Principal, now: string, sla: SlaContext): OrderDecision {
  const submitted: Order = { ...input, status: 'SUBMITTED', createdAt: now, updatedAt: now, version: 1 };
  // Every clock starts at submission (DESIGN 2.1); the first SLA check is scheduled with it.
  const clocks = openSla(submitted, now, sla);
  const order: Order = { ...submitted, ...clocks.patch };
  const data: OrderSubmittedData = {
    orderId: order.id,
    clientId: order.clientId,
    siteId: order.siteId,
    category: order.category,
    priority: order.priority,
    title: order.title,
    requesterUserId: order.requester.userId,
    channel: order.channel,
  };
  return {
    order,
    history: [
      {
        orderId: order.id,
        seq: 1,
        at: now,
        by: { userId: by.userId, role: by.role },
        action: 'create',
        from: null,
        to: 'SUBMITTED',
      },
    ],
    events: [{ type: 'order.submitted', subject: order.id, dataVersion: 1, data }, ...clocks.events],
  };
}

/** Who may create an order for a client: its own client users and staff (WhatsApp intake acts as staff). */
export function mayCreateOrderFor(by: Principal, clientId: string): boolean {
  if (by.role === 'admin' || by.role === 'operator') return true;
  return by.role === 'client' && by.clientId === clientId;
}
