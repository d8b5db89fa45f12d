import type { OrderStatus } from '../orders/vocabulary';
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
  /** The client's admins — its users with an approval limit — of the event's `clientId` (no order needed). */
  'client-admins',
  /**
   * Those an approval event asks (issue 17): the client users of its `tierId`; the client's
   * approvers when the client has no chain; the operators once the chain ran out of tiers.
   */
  'asked-approvers',
] as const;
export type Audience = (typeof AUDIENCES)[number];

export interface NotificationRule {
  readonly on: string;
  /** For `order.status-changed`: the action that caused it. */
  readonly action?: string;
  readonly to: readonly Audience[];
  readonly template: TemplateName;
  /** For `order.status-changed`: only when the order entered this state (a partial approval stays). */
  readonly enters?: OrderStatus;
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
  { ...changed('approve', ['requester', 'assigned-provider'], 'order-approved'), enters: 'CONTRACTING' },
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
  { on: 'feed.endpoint-disabled', to: ['client-admins'], template: 'webhook-endpoint-disabled' },
  // Issue 17: field and invoice controls (orders/field-work.ts)
  { on: 'order.geofence-flagged', to: ['operators'], template: 'geofence-flagged' },
  { on: 'order.invoice-held', to: ['operators'], template: 'invoice-held' },
  { on: 'order.invoice-approved', to: ['assigned-provider'], template: 'invoice-approved' },
  { on: 'order.invoice-rejected', to: ['assigned-provider'], template: 'invoice-rejected' },
  { on: 'order.approval-requested', to: ['asked-approvers'], template: 'approval-requested' },
  { on: 'order.approval-escalated', to: ['asked-approvers'], template: 'approval-escalated' },
  { on: 'order.nte-increase-requested', to: ['operators'], template: 'nte-increase-requested' },
  { on: 'order.nte-increase-approved', to: ['assigned-provider', 'operators'], template: 'nte-increase-approved' },
  { on: 'order.nte-increase-rejected', to: ['assigned-provider', 'operators'], template: 'nte-increase-rejected' },
  { on: 'plan.provider-ineligible', to: ['operators'], template: 'plan-provider-ineligible' },
];

/** The event types the notifications workflow subscribes to. */
export const NOTIFIED_EVENT_TYPES: readonly string[] = [...new Set(NOTIFICATION_RULES.map((r) => r.on))];

/** The rules an event triggers, in table order. */
export function rulesFor(eventType: string, data: unknown): NotificationRule[] {
  const { action, to } = (data as { action?: unknown; to?: unknown } | null) ?? {};
  return NOTIFICATION_RULES.filter(
    (r) => r.on === eventType && (r.action === undefined || r.action === action) && (r.enters === undefined || r.enters === to),
  );
}
