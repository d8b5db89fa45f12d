import { describe, expect, it } from 'vitest';
import type { Notification } from '../../shared/domain/notifications/notification';
import { NOTIFICATION_RULES, NOTIFIED_EVENT_TYPES } from '../../shared/domain/notifications/rules';
import {
  renderEmail,
  renderWhatsApp,
  TEMPLATES,
  type MessageVars,
  type TemplateName,
} from '../../shared/domain/notifications/templates';
import type { DomainEvent } from '../../shared/domain/shared/events';
import type { Order } from '../../shared/domain/orders/order';
import { EVENT_REGISTRY } from '../../shared/application/events/registry';
import {
  notifyEvent,
  recordDeliveryReport,
  type NotificationDeps,
  type NotificationRepository,
} from '../../shared/application/notifications/notifications';
import {
  PermanentDeliveryError,
  type OutgoingEmail,
  type OutgoingWhatsApp,
} from '../../shared/application/notifications/channels';
import { PreconditionFailedError, UnavailableError } from '../../shared/application/errors';
import type { Page } from '../../shared/application/ports';
import { demoProvider } from '../../local/seed';
import { silentLogger } from '../../shared/platform/logger';
import { fixedClock, MemoryOrders, MemoryProviders, MemoryUsers } from '../support/memory';

/**
 * Notifications with in-memory ports: the rules table (who hears about what), templates per locale
 * and channel, at most one send per (event, recipient, channel) under redelivery, partner failures
 * (permanent → failed with the reason; transient → retried by the bus), and delivery reports.
 */
class MemoryNotifications implements NotificationRepository {
  readonly items = new Map<string, { value: Notification; etag: string }>();
  private n = 0;
  async create(x: Notification) {
    if (this.items.has(x.id)) return undefined;
    const v = { value: x, etag: `e${++this.n}` };
    this.items.set(x.id, v);
    return v;
  }
  async get(_r: string, id: string) {
    return this.items.get(id);
  }
  async replace(x: Notification, etag: string) {
    if (this.items.get(x.id)?.etag !== etag) throw new PreconditionFailedError('changed');
    const v = { value: x, etag: `e${++this.n}` };
    this.items.set(x.id, v);
    return v;
  }
  async listForRecipient(): Promise<Page<Notification>> {
    return { items: [] };
  }
  async listByOrder(): Promise<Page<Notification>> {
    return { items: [] };
  }
  byRecipient() {
    return Object.fromEntries(
      [...this.items.values()].map((n) => [
        `${n.value.recipientUserId}/${n.value.channel}`,
        `${n.value.template}:${n.value.status}`,
      ]),
    );
  }
}

const CLIENT = 'cli_00000000000000000000000001';
const PROVIDER = 'prv_00000000000000000000000001';
const ORDER = 'ord_00000000000000000000000001';
const at = '2026-03-01T12:00:00.000Z';

async function setup() {
  const users = new MemoryUsers();
  const orders = new MemoryOrders();
  const providers = new MemoryProviders();
  const notifications = new MemoryNotifications();
  const put = (p: Parameters<MemoryUsers['put']>[0]) => users.put(p);
  await put({
    userId: 'u-client',
    role: 'client',
    clientId: CLIENT,
    name: 'Ana',
    email: 'ana@x.test',
    phone: '+573001112233',
    approvalLimit: { amount: 1, currency: 'COP' },
    preferences: { channels: ['email', 'whatsapp'], locale: 'es-CO' },
    updatedAt: at,
  });
  await put({
    userId: 'u-approver',
    role: 'client',
    clientId: CLIENT,
    name: 'Beto',
    email: 'beto@x.test',
    approvalLimit: { amount: 1, currency: 'COP' },
    preferences: { channels: ['email'], locale: 'es-CO' },
    updatedAt: at,
  });
  await put({
    userId: 'u-other-client',
    role: 'client',
    clientId: 'cli_other',
    name: 'Zoe',
    email: 'zoe@x.test',
    approvalLimit: { amount: 1, currency: 'COP' },
    preferences: { channels: ['email'], locale: 'es-CO' },
    updatedAt: at,
  });
  await put({
    userId: 'u-op1',
    role: 'operator',
    name: 'Op',
    email: 'op@x.test',
    preferences: { channels: ['email'], locale: 'en' },
    updatedAt: at,
  });
  await put({ userId: 'u-op2', role: 'operator', preferences: { channels: ['email'], locale: 'es-CO' }, updatedAt: at });
  await providers.create(
    {
      ...demoProvider(PROVIDER, 'Frío SAS', '800197268-4', ['hvac'], ['Bogotá']),
      contacts: { email: 'frio@x.test', whatsapp: '+573009998877', name: 'Carla' },
    },
    [],
    [],
  );
  const order = {
    id: ORDER,
    clientId: CLIENT,
    siteId: 'sit_1',
    category: 'hvac',
    priority: 'P2',
    title: 'Fuga <b>grave</b>',
    description: 'x',
    requester: { userId: 'u-client', name: 'Ana' },
    channel: 'dashboard',
    status: 'WORK_COMPLETED',
    providerId: PROVIDER,
    approvedAmount: { amount: 120_000_000, currency: 'COP' },
    createdAt: at,
    updatedAt: at,
    version: 9,
  } as Order;
  await orders.create(order, [], []);
  const emails: OutgoingEmail[] = [];
  const whatsapps: OutgoingWhatsApp[] = [];
  const deps: NotificationDeps = {
    notifications,
    users,
    orders,
    providers,
    clock: fixedClock(),
    email: { send: async (e) => void emails.push(e) },
    whatsapp: { send: async (m) => (whatsapps.push(m), {}) },
  };
  return { deps, emails, whatsapps, notifications };
}

const ctx = { logger: silentLogger, deliveryCount: 1 };
const event = (id: string, type: string, data: Record<string, unknown>): DomainEvent => ({
  id,
  type,
  source: 'algesta/orders',
  subject: ORDER,
  time: at,
  dataVersion: 1,
  data,
  correlationId: 'corr-1',
});
const submitted = (id: string) =>
  event(id, 'order.submitted', {
    orderId: ORDER,
    clientId: CLIENT,
    siteId: 'sit_1',
    category: 'hvac',
    priority: 'P2',
    title: 'Fuga <b>grave</b>',
    requesterUserId: 'u-client',
    channel: 'dashboard',
  });

describe('the client event feed notice', () => {
  it("an endpoint disabled after 24 h of failures: the client's admins (its users with an approval limit) are told, no other client's", async () => {
    const { deps, emails, notifications } = await setup();
    await notifyEvent(
      deps,
      event('evt_feed_off', 'feed.endpoint-disabled', {
        clientId: CLIENT,
        endpointId: 'whk_1',
        url: 'https://hooks.example.com/algesta',
        failingSince: '2026-02-28T12:00:00.000Z',
      }),
      ctx,
    );
    expect(notifications.byRecipient()).toEqual({
      'u-client/email': 'webhook-endpoint-disabled:sent',
      'u-client/whatsapp': 'webhook-endpoint-disabled:sent',
      'u-approver/email': 'webhook-endpoint-disabled:sent',
    });
    expect(emails.map((e) => e.to).sort()).toEqual(['ana@x.test', 'beto@x.test']);
    expect(emails[0]!.text).toContain('https://hooks.example.com/algesta');
  });
});

describe('the rules table and the templates', () => {
  it('every notified event is a registered event type, and every template renders in both locales and channels', () => {
    for (const type of NOTIFIED_EVENT_TYPES) expect(Object.keys(EVENT_REGISTRY), type).toContain(type);
    const vars = Object.fromEntries(
      [
        'recipientName',
        'orderId',
        'title',
        'priority',
        'reason',
        'amount',
        'visitAt',
        'quoteDeadline',
        'clock',
        'dueAt',
        'providerName',
        'documentType',
        'expiresAt',
        'daysLeft',
        'decision',
      ].map((k) => [k, `<${k}>`]),
    ) as unknown as MessageVars;
    for (const name of Object.keys(TEMPLATES) as TemplateName[]) {
      for (const locale of ['es-CO', 'en'] as const) {
        const email = renderEmail(name, vars, locale);
        expect(email.subject.length, name).toBeGreaterThan(3);
        expect(email.html).not.toContain('<recipientName>'); // escaped
        expect(email.html).toContain('&lt;recipientName&gt;');
        expect(email.text).toContain('<recipientName>');
        const wa = renderWhatsApp(name, vars, locale);
        expect(wa.name).toMatch(/^algesta_[a-z_]+$/);
        expect(wa.language).toBe(locale === 'en' ? 'en' : 'es_CO');
        expect(wa.parameters.length).toBeGreaterThan(0);
      }
    }
    // The design's list: each of these has a rule.
    const templates = new Set(NOTIFICATION_RULES.map((r) => r.template));
    for (const t of [
      'order-submitted',
      'quotes-requested',
      'quote-received',
      'quote-awaiting-approval',
      'order-approved',
      'contract-sent',
      'contract-signed',
      'visit-scheduled',
      'checked-in',
      'on-hold',
      'work-completed',
      'verification-requested',
      'rework-requested',
      'invoiced',
      'order-closed',
      'order-cancelled',
      'sla-at-risk',
      'sla-breached',
      'document-reviewed',
      'document-expiring',
      'provider-approved',
      'provider-suspended',
    ])
      expect(templates, t).toContain(t);
  });
});

describe('notifyEvent', () => {
  it('order.submitted: the requester on each chosen channel, operators in their locale; escaped; once under three deliveries', async () => {
    const { deps, emails, whatsapps, notifications } = await setup();
    for (let i = 0; i < 3; i++) await notifyEvent(deps, submitted('evt_1'), ctx);
    expect(emails.map((e) => e.to).sort()).toEqual(['ana@x.test', 'op@x.test']);
    expect(emails.find((e) => e.to === 'ana@x.test')!.subject).toMatch(/^Orden recibida/);
    expect(emails.find((e) => e.to === 'op@x.test')!.subject).toMatch(/^New order to triage/);
    expect(emails.find((e) => e.to === 'ana@x.test')!.html).toContain('&lt;b&gt;grave&lt;/b&gt;');
    expect(emails[0]!.recipientUserId).toBeDefined();
    expect(whatsapps).toEqual([
      {
        notificationId: 'evt_1.whatsapp.u-client',
        to: '+573001112233',
        template: { name: 'algesta_order_submitted', language: 'es_CO', parameters: ['Ana', 'Fuga <b>grave</b>', ORDER] },
      },
    ]);
    expect(notifications.byRecipient()).toEqual({
      'u-client/email': 'order-submitted:sent',
      'u-client/whatsapp': 'order-submitted:sent',
      'u-op1/email': 'order-awaiting-triage:sent',
      'u-op2/email': 'order-awaiting-triage:failed', // no address: recorded, not thrown
    });
    expect(notifications.items.get('evt_1.email.u-client')!.value.history.map((h) => h.status)).toEqual([
      'queued',
      'sending',
      'sent',
    ]);
  });

  it('order.submitted: a requester whose stored profile now belongs to another client is told nothing through it', async () => {
    const { deps, emails, whatsapps, notifications } = await setup();
    // Staff moved Ana to another client: her stored address and phone are that tenant's now.
    await deps.users.put({
      userId: 'u-client',
      role: 'client',
      clientId: 'cli_other',
      name: 'Ana',
      email: 'ana@other.test',
      phone: '+573001112233',
      preferences: { channels: ['email', 'whatsapp'], locale: 'es-CO' },
      updatedAt: at,
    });
    await notifyEvent(deps, submitted('evt_moved'), ctx);
    expect(emails.map((e) => e.to)).toEqual(['op@x.test']);
    expect(whatsapps).toEqual([]);
    expect(Object.keys(notifications.byRecipient()).filter((k) => k.startsWith('u-client/'))).toEqual([]);
  });

  it('a transition reaches each person once, with the most specific message; other tenants hear nothing', async () => {
    const { deps, emails, notifications } = await setup();
    await notifyEvent(
      deps,
      event('evt_2', 'order.status-changed', {
        orderId: ORDER,
        clientId: CLIENT,
        action: 'complete',
        from: 'IN_PROGRESS',
        to: 'WORK_COMPLETED',
      }),
      ctx,
    );
    expect(notifications.byRecipient()).toEqual({
      'u-client/email': 'verification-requested:sent',
      'u-client/whatsapp': 'verification-requested:sent',
      'u-approver/email': 'verification-requested:sent',
      'u-op1/email': 'work-completed:sent',
      'u-op2/email': 'work-completed:failed',
    });
    expect(emails.map((e) => e.to)).not.toContain('zoe@x.test');
    // An action no rule mentions notifies nobody.
    const before = notifications.items.size;
    await notifyEvent(
      deps,
      event('evt_3', 'order.status-changed', {
        orderId: ORDER,
        clientId: CLIENT,
        action: 'rate',
        from: 'VERIFIED',
        to: 'VERIFIED',
      }),
      ctx,
    );
    expect(notifications.items.size).toBe(before);
  });

  it('a provider without users is reached at its registered contacts, by e-mail and WhatsApp', async () => {
    const { deps, emails, whatsapps } = await setup();
    await notifyEvent(
      deps,
      event('evt_4', 'provider.document-expiring', {
        providerId: PROVIDER,
        documentId: 'doc_1',
        documentType: 'insurance-policy',
        expiresAt: '2026-03-31',
        daysLeft: 30,
        reminder: 30,
      }),
      ctx,
    );
    expect(emails.map((e) => [e.to, e.subject])).toEqual([['frio@x.test', 'Documento por vencer: insurance-policy']]);
    expect(emails[0]!.text).toContain('faltan 30 días');
    expect(whatsapps.map((m) => [m.to, m.template?.name, m.template?.parameters])).toEqual([
      ['+573009998877', 'algesta_document_expiring', ['Carla', 'insurance-policy', '2026-03-31', '30']],
    ]);
  });

  it('a permanent refusal is recorded failed with its reason; a transient one is retried and sent once', async () => {
    const { deps, notifications } = await setup();
    let transient = true;
    const sent: string[] = [];
    deps.whatsapp.send = async () => {
      throw new PermanentDeliveryError('invalid WhatsApp number');
    };
    deps.email.send = async (e) => {
      if (transient && e.to === 'ana@x.test') throw new Error('503 from SendGrid');
      sent.push(e.to);
    };
    await expect(notifyEvent(deps, submitted('evt_5'), ctx)).rejects.toThrow('503');
    expect(notifications.items.get('evt_5.email.u-client')!.value.status).toBe('queued');
    expect(notifications.items.get('evt_5.whatsapp.u-client')!.value).toMatchObject({ status: 'failed' });
    expect(notifications.items.get('evt_5.whatsapp.u-client')!.value.history.at(-1)!.detail).toBe('invalid WhatsApp number');
    transient = false;
    await notifyEvent(deps, submitted('evt_5'), ctx); // the bus redelivers
    await notifyEvent(deps, submitted('evt_5'), ctx);
    expect(sent.filter((to) => to === 'ana@x.test')).toHaveLength(1);
    expect(notifications.items.get('evt_5.email.u-client')!.value.history.map((h) => h.status)).toEqual([
      'queued',
      'sending',
      'queued',
      'sending',
      'sent',
    ]);
  });

  it('a record left in "sending" by a crash is not sent again (at most once) but marked failed', async () => {
    const { deps, emails, notifications } = await setup();
    await notifyEvent(deps, submitted('evt_6'), ctx);
    const crashed = notifications.items.get('evt_6.email.u-op1')!;
    notifications.items.set('evt_6.email.u-op1', { ...crashed, value: { ...crashed.value, status: 'sending' } });
    const before = emails.length;
    await notifyEvent(deps, submitted('evt_6'), ctx);
    expect(emails.length).toBe(before);
    expect(notifications.items.get('evt_6.email.u-op1')!.value.status).toBe('failed');
  });
});

describe('delivery reports', () => {
  it('delivered once, a replayed report changes nothing, a later bounce does not undo a delivery, unknown ids are ignored — each said as such', async () => {
    const { deps, notifications } = await setup();
    await notifyEvent(deps, submitted('evt_7'), ctx);
    const report = {
      notificationId: 'evt_7.email.u-client',
      recipientUserId: 'u-client',
      status: 'delivered' as const,
      at,
      reportId: 'sg-1',
    };
    expect(await recordDeliveryReport(deps, report)).toBe('applied');
    const once = notifications.items.get('evt_7.email.u-client')!;
    expect(once.value.status).toBe('delivered');
    // Only the first changed anything: the webhook counts `applied` from these answers.
    expect(await recordDeliveryReport(deps, report)).toBe('duplicate');
    expect(await recordDeliveryReport(deps, { ...report, status: 'bounced', reportId: 'sg-2' })).toBe('already-final');
    expect(notifications.items.get('evt_7.email.u-client')!.etag).toBe(once.etag);
    expect(await recordDeliveryReport(deps, { ...report, notificationId: 'nope' })).toBe('unknown');
    const bounced = {
      notificationId: 'evt_7.email.u-op1',
      recipientUserId: 'u-op1',
      status: 'bounced' as const,
      at,
      reportId: 'sg-3',
      detail: '550 no such user',
    };
    expect(await recordDeliveryReport(deps, bounced)).toBe('applied');
    expect(notifications.items.get('evt_7.email.u-op1')!.value).toMatchObject({ status: 'bounced', deliveryReports: ['sg-3'] });
  });

  it('a report that keeps losing its conditional write is given back (503, SendGrid retries), never counted', async () => {
    const { deps, notifications } = await setup();
    await notifyEvent(deps, submitted('evt_8'), ctx);
    let writes = 0;
    notifications.replace = async () => {
      writes++;
      throw new PreconditionFailedError('changed');
    };
    const report = {
      notificationId: 'evt_8.email.u-client',
      recipientUserId: 'u-client',
      status: 'delivered' as const,
      at,
      reportId: 'sg-9',
    };
    await expect(recordDeliveryReport(deps, report)).rejects.toBeInstanceOf(UnavailableError);
    expect(writes).toBe(3);
  });
});

describe('approval chains (issue 17): who an approval event asks', () => {
  const approval = (id: string, type: string, extra: Record<string, unknown>) =>
    event(id, type, {
      orderId: ORDER,
      clientId: CLIENT,
      subject: 'nte-increase',
      amount: { amount: 250_000_000, currency: 'COP' },
      ...extra,
    });

  it('the users of the asked tier; the operators once the chain ran out; the approvers when there is no chain', async () => {
    const { deps, notifications, emails } = await setup();
    for (const [userId, tier] of [
      ['u-site', 'site'],
      ['u-finance', 'finance'],
    ] as const)
      await deps.users.put({
        userId,
        role: 'client',
        clientId: CLIENT,
        email: `${userId}@x.test`,
        approvalTier: tier,
        preferences: { channels: ['email'], locale: 'en' },
        updatedAt: at,
      });
    await notifyEvent(deps, approval('evt_a1', 'order.approval-requested', { tierId: 'site', tierName: 'Site' }), ctx);
    expect(notifications.byRecipient()).toEqual({ 'u-site/email': 'approval-requested:sent' });
    // The amount named is the request's, not the order's NTE.
    expect(emails.at(-1)?.text).toMatch(/COP\s2,500,000/);
    expect(emails.at(-1)?.text).toContain('(tier Site)');

    await notifyEvent(deps, approval('evt_a2', 'order.approval-escalated', { fromTierId: 'site', tierId: 'finance' }), ctx);
    await notifyEvent(
      deps,
      approval('evt_a3', 'order.approval-escalated', { fromTierId: 'finance', approvers: 'operators' }),
      ctx,
    );
    await notifyEvent(deps, approval('evt_a4', 'order.approval-requested', { approvers: 'approval-limit' }), ctx);
    const sent = [...notifications.items.values()].map((n) => `${n.value.eventId} ${n.value.recipientUserId}`).sort();
    expect(sent).toEqual([
      'evt_a1 u-site',
      'evt_a2 u-finance',
      'evt_a3 u-op1',
      'evt_a3 u-op2',
      'evt_a4 u-approver',
      'evt_a4 u-client',
      'evt_a4 u-client',
    ]);
  });

  it('a partial approval (the order stays waiting) does not tell anyone the order was approved', async () => {
    const { deps, notifications } = await setup();
    const approve = (id: string, to: string) =>
      event(id, 'order.status-changed', { orderId: ORDER, clientId: CLIENT, action: 'approve', from: 'AWAITING_APPROVAL', to });
    await notifyEvent(deps, approve('evt_p1', 'AWAITING_APPROVAL'), ctx);
    expect(notifications.items.size).toBe(0);
    await notifyEvent(deps, approve('evt_p2', 'CONTRACTING'), ctx);
    expect(Object.values(notifications.byRecipient())).toContain('order-approved:sent');
  });
});
