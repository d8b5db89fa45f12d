import { isStaff } from '../../domain/access/principal';
import { isSettled, notificationId, withStatus, type Notification } from '../../domain/notifications/notification';
import { TEMPLATES, type RenderedEmail } from '../../domain/notifications/templates';
import { DEFAULT_PREFERENCES, type UserProfile } from '../../domain/users/user';
import type { CallContext } from '../context';
import type { ConsumerContext } from '../events/consumer';
import type { TypedEvent } from '../events/registry';
import { PreconditionFailedError } from '../errors';
import type { Clock, Page, PageRequest, UserRepository, Versioned } from '../ports';

export interface NotificationRepository {
  /** Creates the record; undefined when a record with this id exists already. */
  create(n: Notification): Promise<Versioned<Notification> | undefined>;
  get(recipientUserId: string, id: string): Promise<Versioned<Notification> | undefined>;
  /** Conditional on `etag`: PreconditionFailedError when someone else changed it. */
  replace(n: Notification, etag: string): Promise<Versioned<Notification>>;
  listForRecipient(recipientUserId: string, filter: { orderId?: string }, page: PageRequest): Promise<Page<Notification>>;
  /** Staff: every recipient's notifications about one order (fans out). */
  listByOrder(orderId: string, page: PageRequest): Promise<Page<Notification>>;
}

export interface OutgoingEmail extends RenderedEmail {
  readonly notificationId: string;
  readonly to: string;
  readonly toName?: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<void>;
}

export interface NotificationDeps {
  readonly notifications: NotificationRepository;
  readonly users: UserRepository;
  readonly email: EmailSender;
  readonly clock: Clock;
}

/** The channels this slice delivers on; WhatsApp joins with the Notifications issue. */
const DELIVERABLE_CHANNELS = ['email'] as const;

/**
 * `order.submitted` → the requester and every operator (DESIGN 2.3). One record per (event,
 * recipient, channel), sent at most once however often the event is delivered.
 */
export async function notifyOrderSubmitted(
  deps: NotificationDeps,
  event: TypedEvent<'order.submitted'>,
  ctx: ConsumerContext,
): Promise<void> {
  const requester = await deps.users.get(event.data.requesterUserId);
  const operators = await deps.users.listByRole('operator');
  const recipients = new Map<string, { profile: UserProfile; forRequester: boolean }>();
  for (const op of operators) recipients.set(op.userId, { profile: op, forRequester: false });
  // A requester without a stored profile is told nothing: we have no address for them.
  if (requester) recipients.set(requester.value.userId, { profile: requester.value, forRequester: true });
  for (const { profile, forRequester } of recipients.values()) {
    const prefs = profile.preferences ?? DEFAULT_PREFERENCES;
    for (const channel of prefs.channels.filter((c) => (DELIVERABLE_CHANNELS as readonly string[]).includes(c))) {
      const rendered = TEMPLATES['order-submitted'](
        {
          recipientName: profile.name ?? profile.userId,
          orderId: event.data.orderId,
          title: event.data.title,
          priority: event.data.priority,
          forRequester,
        },
        prefs.locale,
      );
      await deliverOnce(deps, ctx, {
        record: {
          id: notificationId(event.id, channel, profile.userId),
          eventId: event.id,
          eventType: event.type,
          recipientUserId: profile.userId,
          channel,
          locale: prefs.locale,
          template: 'order-submitted',
          subject: rendered.subject,
          orderId: event.data.orderId,
          clientId: event.data.clientId,
          correlationId: event.correlationId,
        },
        email: profile.email ? { ...rendered, to: profile.email, ...(profile.name ? { toName: profile.name } : {}) } : undefined,
      });
    }
  }
}

type NewRecord = Omit<Notification, 'status' | 'history' | 'createdAt' | 'updatedAt'>;

/**
 * queued → sending → sent. The "sending" claim is a conditional write, so of two deliveries of one
 * event only one sends. A record found in "sending" belonged to a run that died mid-send: its
 * outcome is unknown and it is marked failed rather than sent twice (at most once).
 */
async function deliverOnce(
  deps: NotificationDeps,
  ctx: ConsumerContext,
  item: { record: NewRecord; email: Omit<OutgoingEmail, 'notificationId'> | undefined },
): Promise<void> {
  const now = () => deps.clock.now().toISOString();
  const fresh: Notification = {
    ...item.record,
    status: 'queued',
    history: [{ status: 'queued', at: now() }],
    createdAt: now(),
    updatedAt: now(),
  };
  let current = (await deps.notifications.create(fresh)) ?? (await deps.notifications.get(fresh.recipientUserId, fresh.id));
  if (!current || isSettled(current.value)) return;
  if (current.value.status === 'sending') {
    await deps.notifications.replace(
      withStatus(current.value, 'failed', now(), 'interrupted while sending; not resent'),
      current.etag,
    );
    return;
  }
  if (!item.email) {
    await deps.notifications.replace(withStatus(current.value, 'failed', now(), 'recipient has no e-mail address'), current.etag);
    return;
  }
  try {
    current = await deps.notifications.replace(withStatus(current.value, 'sending', now()), current.etag);
  } catch (err) {
    if (err instanceof PreconditionFailedError) return; // another delivery claimed it
    throw err;
  }
  try {
    await deps.email.send({ ...item.email, notificationId: fresh.id });
  } catch (err) {
    // Not sent: back to queued so the bus's retry sends it.
    await deps.notifications.replace(
      withStatus(current.value, 'queued', now(), `send failed: ${(err as Error).message}`),
      current.etag,
    );
    throw err;
  }
  await deps.notifications.replace(withStatus(current.value, 'sent', now()), current.etag);
  ctx.logger.info('notification sent', {
    notificationId: fresh.id,
    channel: fresh.channel,
    recipientUserId: fresh.recipientUserId,
  });
}

/** `GET /notifications`: the caller's own; staff may ask for every notification of an order. */
export async function listNotifications(
  deps: Pick<NotificationDeps, 'notifications'>,
  call: CallContext,
  filter: { orderId?: string },
  page: PageRequest,
): Promise<Page<Notification>> {
  if (filter.orderId && isStaff(call.principal)) return deps.notifications.listByOrder(filter.orderId, page);
  return deps.notifications.listForRecipient(call.principal.userId, filter, page);
}
