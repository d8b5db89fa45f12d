/**
 * The words an order is described with: its statuses, service categories, priorities and intake
 * channels. A leaf module: the order, its lifecycle, its SLA clocks and the event catalogue all
 * import it, and it imports nothing.
 */
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

/** `plan`: opened by the maintenance plan timer (docs/plans.md). */
export const ORDER_CHANNELS = ['dashboard', 'whatsapp', 'api', 'plan'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];
