/**
 * Which events the client feed carries: every order event of the catalogue — a type added to it
 * later is delivered without a change here — except the platform's own scheduled wake-ups, which
 * say "look at this order now" to a workflow and nothing that happened to the order.
 */
export const INTERNAL_ORDER_EVENTS: readonly string[] = [
  'order.sla-check-due',
  'order.quote-deadline-reached',
  'order.approval-escalation-due',
];

export const isFeedEventType = (type: string): boolean => type.startsWith('order.') && !INTERNAL_ORDER_EVENTS.includes(type);

/** The receiver's view of an event: what the request body carries. */
export interface FeedPayload {
  readonly id: string;
  readonly type: string;
  readonly time: string;
  readonly data: unknown;
}
