import type { Channel, Locale } from '../users/user';

export const NOTIFICATION_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'bounced'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** Statuses after which nothing is sent again for this (event, recipient, channel). */
const SETTLED: readonly NotificationStatus[] = ['sent', 'delivered', 'failed', 'bounced'];

export interface StatusChange {
  readonly status: NotificationStatus;
  readonly at: string;
  readonly detail?: string;
}

/** One message to one recipient on one channel, caused by one event: sent at most once. */
export interface Notification {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly recipientUserId: string;
  readonly channel: Channel;
  readonly locale: Locale;
  readonly template: string;
  readonly subject: string;
  readonly orderId?: string;
  readonly clientId?: string;
  readonly status: NotificationStatus;
  readonly history: readonly StatusChange[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly correlationId: string;
  /** Ids of the partner delivery reports applied (SendGrid `sg_event_id`, Jelou status ids). */
  readonly deliveryReports?: readonly string[];
}

/** Deterministic: a redelivered event finds the record its first delivery made. */
export function notificationId(eventId: string, channel: Channel, recipientUserId: string): string {
  return `${eventId}.${channel}.${recipientUserId.replace(/[/\\?#]/g, '_')}`;
}

export function isSettled(n: Pick<Notification, 'status'>): boolean {
  return SETTLED.includes(n.status);
}

export function withStatus(n: Notification, status: NotificationStatus, at: string, detail?: string): Notification {
  return { ...n, status, updatedAt: at, history: [...n.history, { status, at, ...(detail ? { detail } : {}) }] };
}
