import { isStaff } from '../../domain/access/principal';
import {
  isSettled,
  notificationId,
  isFinal,
  withStatus,
  type Notification,
  type NotificationStatus,
} from '../../domain/notifications/notification';
import { rulesFor, type Audience } from '../../domain/notifications/rules';
import { renderEmail, renderWhatsApp, type MessageVars, type TemplateName } from '../../domain/notifications/templates';
import type { Order } from '../../domain/orders/order';
import type { Provider } from '../../domain/providers/provider';
import { formatMoney, type Money } from '../../domain/shared/money';
import { formatDateTime } from '../../domain/shared/time';
import type { DomainEvent } from '../../domain/shared/events';
import { DEFAULT_PREFERENCES, type Channel, type Locale } from '../../domain/users/user';
import { trustProfileOfClient } from '../access';
import type { CallContext } from '../context';
import type { ConsumerContext } from '../events/consumer';
import { PreconditionFailedError, UnavailableError } from '../errors';
import type { Clock, OrderRepository, Page, PageRequest, ProviderRepository, UserRepository, Versioned } from '../ports';
import { PermanentDeliveryError, type EmailSender, type OutgoingEmail, type WhatsAppSender } from './channels';

export type { EmailSender, OutgoingEmail };

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

export interface NotificationDeps {
  readonly notifications: NotificationRepository;
  readonly users: UserRepository;
  readonly orders: Pick<OrderRepository, 'get'>;
  readonly providers: Pick<ProviderRepository, 'get'>;
  readonly email: EmailSender;
  readonly whatsapp: WhatsAppSender;
  readonly clock: Clock;
}

/** Someone a message goes to: a user profile, or a provider company's contacts when it has no users. */
interface Recipient {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  readonly phone?: string;
  readonly channels: readonly Channel[];
  readonly locale: Locale;
}

/** What the event is about, read once per event. */
interface Facts {
  readonly order?: Order;
  readonly provider?: Provider;
}

/**
 * Notifies everyone an event concerns (the rules table, DESIGN 2.3) on the channels they chose, in
 * their language: one record per (event, recipient, channel), sent at most once however often the
 * event is delivered. An event no rule mentions is ignored.
 */
export async function notifyEvent(deps: NotificationDeps, event: DomainEvent, ctx: ConsumerContext): Promise<void> {
  const rules = rulesFor(event.type, event.data);
  if (rules.length === 0) return;
  const facts = await factsOf(deps, event);
  const reached = new Set<string>();
  const failures: unknown[] = [];
  for (const rule of rules) {
    for (const recipient of await recipients(deps, rule.to, event, facts)) {
      // One message per person and event: the first (most specific) rule that reaches them.
      if (reached.has(recipient.id)) continue;
      reached.add(recipient.id);
      const vars = messageVars(event, facts, recipient);
      for (const channel of recipient.channels) {
        // A partner's hiccup for one message does not hold back the others; the bus retries the
        // event for the ones that failed (those sent are settled and not sent again).
        await deliverOnce(deps, ctx, event, recipient, channel, rule.template, vars).catch((err: unknown) => failures.push(err));
      }
    }
  }
  if (failures.length) throw failures[0];
}

async function factsOf(deps: NotificationDeps, event: DomainEvent): Promise<Facts> {
  const data = event.data as { orderId?: string; clientId?: string; providerId?: string };
  const [order, provider] = await Promise.all([
    data.orderId && data.clientId ? deps.orders.get(data.clientId, data.orderId) : undefined,
    data.providerId && event.type.startsWith('provider.') ? deps.providers.get(data.providerId) : undefined,
  ]);
  return { ...(order ? { order: order.value } : {}), ...(provider ? { provider: provider.value } : {}) };
}

function fromProfile(p: Awaited<ReturnType<UserRepository['listByRole']>>[number]): Recipient {
  const prefs = p.preferences ?? DEFAULT_PREFERENCES;
  return {
    id: p.userId,
    name: p.name ?? p.userId,
    ...(p.email ? { email: p.email } : {}),
    ...(p.phone ? { phone: p.phone } : {}),
    channels: prefs.channels,
    locale: prefs.locale,
  };
}

/** A provider's users; a provider without users is reached at its registered contacts. */
async function providerRecipients(deps: NotificationDeps, providerId: string, known?: Provider): Promise<Recipient[]> {
  const users = await deps.users.listByRole('provider', { providerId });
  if (users.length) return users.map(fromProfile);
  const provider = known ?? (await deps.providers.get(providerId))?.value;
  if (!provider) return [];
  const phone = provider.contacts.whatsapp;
  return [
    {
      id: `provider:${provider.id}`,
      name: provider.contacts.name ?? provider.legalName,
      email: provider.contacts.email,
      ...(phone ? { phone } : {}),
      channels: phone ? ['email', 'whatsapp'] : ['email'],
      locale: 'es-CO',
    },
  ];
}

async function recipients(
  deps: NotificationDeps,
  audiences: readonly Audience[],
  event: DomainEvent,
  facts: Facts,
): Promise<Recipient[]> {
  const data = event.data as { providerIds?: string[]; providerId?: string };
  const order = facts.order;
  const all: Recipient[] = [];
  for (const audience of audiences) {
    switch (audience) {
      case 'requester': {
        const stored = order ? (await deps.users.get(order.requester.userId))?.value : undefined;
        // A requester without a stored profile — or with one that no longer belongs to the order's
        // client — is told nothing: we have no address for them that we may use.
        const profile = order ? trustProfileOfClient(stored, order.clientId) : undefined;
        if (profile) all.push(fromProfile(profile));
        break;
      }
      case 'client-approvers':
        if (order)
          all.push(
            ...(await deps.users.listByRole('client', { clientId: order.clientId }))
              .filter((u) => u.approvalLimit)
              .map(fromProfile),
          );
        break;
      case 'operators':
        all.push(...(await deps.users.listByRole('operator')).map(fromProfile));
        break;
      case 'invited-providers':
        for (const id of data.providerIds ?? []) all.push(...(await providerRecipients(deps, id)));
        break;
      case 'assigned-provider':
        if (order?.providerId) all.push(...(await providerRecipients(deps, order.providerId)));
        break;
      case 'event-provider':
        if (data.providerId) all.push(...(await providerRecipients(deps, data.providerId, facts.provider)));
        break;
      case 'client-admins': {
        const clientId = (event.data as { clientId?: unknown }).clientId;
        if (typeof clientId === 'string')
          all.push(...(await deps.users.listByRole('client', { clientId })).filter((u) => u.approvalLimit).map(fromProfile));
        break;
      }
      case 'asked-approvers':
        if (order) all.push(...(await askedApprovers(deps, order.clientId, event.data as AskedData)));
        break;
    }
  }
  return all;
}

type AskedData = { tierId?: string; approvers?: 'approval-limit' | 'operators' };

/** An approval event's addressees: its tier's users, the operators, or (no chain) the users with a limit. */
async function askedApprovers(deps: NotificationDeps, clientId: string, d: AskedData): Promise<Recipient[]> {
  if (d.approvers === 'operators') return (await deps.users.listByRole('operator')).map(fromProfile);
  const users = await deps.users.listByRole('client', { clientId });
  return users.filter((u) => (d.tierId ? u.approvalTier === d.tierId : u.approvalLimit)).map(fromProfile);
}

const formatAmount = (m: Money | undefined, locale: Locale) => (m ? formatMoney(m, locale) : '');

const isMoney = (v: unknown): v is Money =>
  typeof v === 'object' && v !== null && typeof (v as Money).amount === 'number' && typeof (v as Money).currency === 'string';

const formatInstant = (iso: string | undefined, locale: Locale) => (iso ? formatDateTime(iso, locale) : '');

const CLOCK_NAMES: Record<Locale, Record<string, string>> = {
  'es-CO': { acknowledge: 'atención', onSite: 'llegada a sitio', resolve: 'solución' },
  en: { acknowledge: 'acknowledge', onSite: 'on site', resolve: 'resolve' },
};

function messageVars(event: DomainEvent, facts: Facts, to: Recipient): MessageVars {
  const d = event.data as Record<string, unknown>;
  const o = facts.order;
  const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
  const decision =
    d.decision === 'approve' ? (to.locale === 'en' ? 'approved' : 'aprobado') : to.locale === 'en' ? 'rejected' : 'rechazado';
  return {
    recipientName: to.name,
    orderId: str(d.orderId ?? o?.id),
    title: str(o?.title ?? d.title),
    priority: str(o?.priority ?? d.priority),
    reason: str(d.reason),
    // An event about an amount (an approval, an NTE increase) names it; others speak of the order's.
    amount: formatAmount(isMoney(d.amount) ? d.amount : (o?.invoice?.amount ?? o?.approvedAmount), to.locale),
    visitAt: formatInstant(o?.visitAt, to.locale),
    quoteDeadline: formatInstant(str(d.quoteDeadline) || o?.quoteDeadline, to.locale),
    clock: CLOCK_NAMES[to.locale][str(d.clock)] ?? str(d.clock),
    dueAt: formatInstant(str(d.dueAt || d.failingSince) || undefined, to.locale),
    providerName: facts.provider?.legalName ?? str(d.providerId),
    documentType: str(d.documentType),
    expiresAt: str(d.expiresAt),
    daysLeft: str(d.daysLeft),
    decision,
    endpointUrl: str(d.url),
    tierName: str(d.tierName),
  };
}

/**
 * queued → sending → sent (→ delivered / bounced, from the partners' webhooks). The "sending" claim
 * is a conditional write, so of two deliveries of one event only one sends. A record found in
 * "sending" belonged to a run that died mid-send: its outcome is unknown and it is marked failed
 * rather than sent twice (at most once). A partner's permanent refusal is `failed` with its reason;
 * a transient failure puts the record back to `queued` and rethrows, so the bus retries.
 */
async function deliverOnce(
  deps: NotificationDeps,
  ctx: ConsumerContext,
  event: DomainEvent,
  to: Recipient,
  channel: Channel,
  template: TemplateName,
  vars: MessageVars,
): Promise<void> {
  const now = () => deps.clock.now().toISOString();
  const email = channel === 'email' ? renderEmail(template, vars, to.locale) : undefined;
  const d = event.data as { orderId?: string; clientId?: string };
  const fresh: Notification = {
    id: notificationId(event.id, channel, to.id),
    eventId: event.id,
    eventType: event.type,
    recipientUserId: to.id,
    channel,
    locale: to.locale,
    template,
    subject: email?.subject ?? renderEmail(template, vars, to.locale).subject,
    ...(d.orderId ? { orderId: d.orderId } : {}),
    ...(d.clientId ? { clientId: d.clientId } : {}),
    correlationId: event.correlationId,
    status: 'queued',
    history: [{ status: 'queued', at: now() }],
    createdAt: now(),
    updatedAt: now(),
  };
  let current = (await deps.notifications.create(fresh)) ?? (await deps.notifications.get(fresh.recipientUserId, fresh.id));
  if (!current || isSettled(current.value)) return;
  const settle = (status: NotificationStatus, detail?: string) =>
    deps.notifications.replace(
      withStatus((current as Versioned<Notification>).value, status, now(), detail),
      (current as Versioned<Notification>).etag,
    );
  if (current.value.status === 'sending') {
    await settle('failed', 'interrupted while sending; not resent');
    return;
  }
  const address = channel === 'email' ? to.email : to.phone;
  if (!address) {
    await settle('failed', channel === 'email' ? 'recipient has no e-mail address' : 'recipient has no WhatsApp number');
    return;
  }
  try {
    current = await settle('sending');
  } catch (err) {
    if (err instanceof PreconditionFailedError) return; // another delivery claimed it
    throw err;
  }
  try {
    if (email) {
      await deps.email.send({ ...email, notificationId: fresh.id, recipientUserId: to.id, to: address, toName: to.name });
    } else {
      await deps.whatsapp.send({ notificationId: fresh.id, to: address, template: renderWhatsApp(template, vars, to.locale) });
    }
  } catch (err) {
    if (err instanceof PermanentDeliveryError) {
      await settle('failed', err.reason);
      ctx.logger.warn('notification refused by the partner', { notificationId: fresh.id, channel, reason: err.reason });
      return;
    }
    // Not sent: back to queued so the bus's retry sends it.
    await settle('queued', `send failed: ${(err as Error).message}`);
    throw err;
  }
  await settle('sent');
  ctx.logger.info('notification sent', { notificationId: fresh.id, channel, recipientUserId: fresh.recipientUserId });
}

/** What a partner's delivery webhook reports about one message. */
export interface DeliveryReport {
  readonly notificationId: string;
  readonly recipientUserId: string;
  readonly status: Extract<NotificationStatus, 'delivered' | 'bounced' | 'failed'>;
  readonly at: string;
  readonly detail?: string;
  /** The partner's id of this report: a replayed report has no second effect. */
  readonly reportId: string;
}

/**
 * What a delivery report did: `applied` changed the record; `duplicate` (this report id was applied
 * before), `already-final` (the record had its final status) and `unknown` (no such notification:
 * another system's mail, or expired) changed nothing.
 */
export type DeliveryReportOutcome = 'applied' | 'duplicate' | 'already-final' | 'unknown';

/** Conditional writes tried before a report is given back to the sender (503: SendGrid retries). */
const REPORT_ATTEMPTS = 3;

/**
 * Records a delivery report, once: the record remembers the report ids it applied, and a final
 * status is never overwritten — so a replayed or late report changes nothing for as long as the
 * notification exists. Lost conditional writes are retried; if they keep losing, UnavailableError.
 */
export async function recordDeliveryReport(
  deps: Pick<NotificationDeps, 'notifications'>,
  report: DeliveryReport,
): Promise<DeliveryReportOutcome> {
  for (let attempt = 0; attempt < REPORT_ATTEMPTS; attempt++) {
    const current = await deps.notifications.get(report.recipientUserId, report.notificationId);
    if (!current) return 'unknown';
    const n = current.value;
    if ((n.deliveryReports ?? []).includes(report.reportId)) return 'duplicate';
    if (isFinal(n.status)) return 'already-final';
    const next = {
      ...withStatus(n, report.status, report.at, report.detail),
      // Every applied report makes the record final, so this list holds one id; the bound is a guard.
      deliveryReports: [...(n.deliveryReports ?? []), report.reportId].slice(-20),
    };
    try {
      await deps.notifications.replace(next, current.etag);
      return 'applied';
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new UnavailableError(`delivery report ${report.reportId}: the notification kept changing; retry`, 1);
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
