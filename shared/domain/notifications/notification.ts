import type { Channel, Locale } from '../users/user';

export const NOTIFICATION_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'failed', 'bounced'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/**
 * The moves a notification may make, the one table of its states (docs/notifications.md):
 * - `queued` → `sending`: a delivery claims it (a conditional write, so one delivery sends);
 * - `sending` → `sent` when the partner accepted it, → `queued` when the send failed and the bus
 *   retries, → `failed` when the partner refused it for good or a crash left it mid-send (not resent:
 *   at most once);
 * - `queued` → `failed` when the recipient has no address for the channel;
 * - a partner's delivery report (`delivered`, `bounced`, `failed`) may arrive before the sender
 *   recorded `sent` (a crash between the send and that write), so it applies from `queued`,
 *   `sending` and `sent`;
 * - `delivered`, `bounced` and `failed` are final: nothing overwrites them.
 */
const MOVES: Readonly<Record<NotificationStatus, readonly NotificationStatus[]>> = {
  queued: ['sending', 'failed', 'delivered', 'bounced'],
  sending: ['sent', 'queued', 'failed', 'delivered', 'bounced'],
  sent: ['delivered', 'bounced', 'failed'],
  delivered: [],
  bounced: [],
  failed: [],
};

/** Statuses after which nothing is sent again for this (event, recipient, channel). */
const SETTLED: readonly NotificationStatus[] = ['sent', 'delivered', 'failed', 'bounced'];

/** A move the table does not allow: a defect of the caller, not an input to answer. */
export class NotificationMoveError extends Error {
  constructor(
    readonly from: NotificationStatus,
    readonly to: NotificationStatus,
  ) {
    super(`a notification may not move from ${from} to ${to}`);
    this.name = 'NotificationMoveError';
  }
}

export function canMove(from: NotificationStatus, to: NotificationStatus): boolean {
  return MOVES[from].includes(to);
}

/** A final status: no report or delivery changes it again. */
export function isFinal(status: NotificationStatus): boolean {
  return MOVES[status].length === 0;
}

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

/** The notification after one move of the table; a move it does not allow throws NotificationMoveError. */
export function withStatus(n: Notification, status: NotificationStatus, at: string, detail?: string): Notification {
  if (!canMove(n.status, status)) throw new NotificationMoveError(n.status, status);
  return { ...n, status, updatedAt: at, history: [...n.history, { status, at, ...(detail ? { detail } : {}) }] };
}
