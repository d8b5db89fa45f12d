import type { TemplateName } from './templates';

/**
 * Who hears about what (DESIGN 2.3), in one table: each event (an order transition is
 * `order.status-changed` with its `action`) → audiences → template. Within one event a person gets
 * one message per channel: the first rule that reaches them wins, so rules are ordered from the
 * most specific message to the most general.
 */
export const AUDIENCES = [
  /** The client user who opened the order. */
  'requester',
  /** The client's users who may approve (those with an approval limit). */
  'client-approvers',
  'operators',
  /** Every provider invited to quote (the event's `providerIds`). */
  'invited-providers',
  /** The provider the order is assigned to. */
  'assigned-provider',
  /** The users of the provider the event is about (provider events). */
  'event-provider',
] as const;
export type Audience = (typeof AUDIENCES)[number];

export interface NotificationRule {
  readonly on: string;
  /** For `order.status-changed`: the action that caused it. */
  readonly action?: string;
  readonly to: readonly Audience[];
  readonly template: TemplateName;
}

const changed = (action: string, to: readonly Audience[], template: TemplateName): NotificationRule => ({
  on: 'order.status-changed',
  action,
  to,
  template,
});

export const NOTIFICATION_RULES: readonly NotificationRule[] = [
  { on: 'order.submitted', to: ['requester'], template: 'order-submitted' },
  { on: 'order.submitted', to: ['operators'], template: 'order-awaiting-triage' },
  { on: 'order.quotes-requested', to: ['invited-providers'], template: 'quotes-requested' },
  { on: 'order.quote-submitted', to: ['operators'], template: 'quote-received' },
  changed('select-quote', ['client-approvers'], 'quote-awaiting-approval'),
  changed('approve', ['requester', 'assigned-provider'], 'order-approved'),
  { on: 'order.contract-requested', to: ['assigned-provider', 'client-approvers'], template: 'contract-sent' },
  changed('contract-signed', ['requester', 'assigned-provider', 'operators'], 'contract-signed'),
  changed('schedule', ['requester'], 'visit-scheduled'),
  changed('check-in', ['requester'], 'checked-in'),
  changed('hold', ['requester', 'operators'], 'on-hold'),
  changed('complete', ['requester', 'client-approvers'], 'verification-requested'),
  changed('complete', ['operators'], 'work-completed'),
  changed('request-rework', ['assigned-provider', 'operators'], 'rework-requested'),
  changed('invoice', ['operators'], 'invoiced'),
  changed('close', ['requester', 'assigned-provider'], 'order-closed'),
  changed('cancel', ['requester', 'assigned-provider', 'operators'], 'order-cancelled'),
  { on: 'order.sla-at-risk', to: ['operators'], template: 'sla-at-risk' },
  { on: 'order.sla-breached', to: ['operators', 'client-approvers'], template: 'sla-breached' },
  { on: 'provider.document-reviewed', to: ['event-provider'], template: 'document-reviewed' },
  { on: 'provider.document-expiring', to: ['event-provider'], template: 'document-expiring' },
  { on: 'provider.approved', to: ['event-provider'], template: 'provider-approved' },
  { on: 'provider.suspended', to: ['event-provider', 'operators'], template: 'provider-suspended' },
  { on: 'plan.provider-ineligible', to: ['operators'], template: 'plan-provider-ineligible' },
];

/** The event types the notifications workflow subscribes to. */
export const NOTIFIED_EVENT_TYPES: readonly string[] = [...new Set(NOTIFICATION_RULES.map((r) => r.on))];

/** The rules an event triggers, in table order. */
export function rulesFor(eventType: string, data: unknown): NotificationRule[] {
  const action = (data as { action?: unknown } | null)?.action;
  return NOTIFICATION_RULES.filter((r) => r.on === eventType && (r.action === undefined || r.action === action));
}
