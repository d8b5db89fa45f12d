import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/domain/shared/events';
import type { Notification } from '../../shared/domain/notifications/notification';
import { consume, type ProcessedEvents } from '../../shared/application/events/consumer';
import { InvalidEventError, parseEvent } from '../../shared/application/events/registry';
import { outboxEntriesIn, relay, sweepOutbox, type Outbox, type OutboxEntry } from '../../shared/application/events/relay';
import type { MessagePublisher, OutgoingMessage } from '../../shared/application/messaging';
import {
  notifyOrderSubmitted,
  type NotificationRepository,
  type OutgoingEmail,
} from '../../shared/application/notifications/notifications';
import { PreconditionFailedError } from '../../shared/application/errors';
import type { Page } from '../../shared/application/ports';
import { sqlFilter, subscriptionsFor, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { toServiceBusMessage } from '../../shared/adapters/servicebus/service-bus-publisher';
import { silentLogger } from '../../shared/platform/logger';
import { submittedEvent } from '../support/events';
import { MemoryUsers, fixedClock } from '../support/memory';

const submitted = (id = 'evt_1'): DomainEvent => submittedEvent(id);

describe('event registry', () => {
  it('accepts a registered event and refuses unknown, malformed or newer ones with a reason', () => {
    expect(parseEvent(submitted()).type).toBe('order.submitted');
    expect(() => parseEvent({ ...submitted(), type: 'order.teleported' })).toThrow(/UnknownEventType/);
    expect(() => parseEvent({ ...submitted(), data: { orderId: 1 } })).toThrow(/InvalidEventData/);
    expect(() => parseEvent({ id: 'x' })).toThrow(InvalidEventError);
    expect(() => parseEvent({ ...submitted(), dataVersion: 2 })).toThrow(/UnsupportedVersion/);
  });
});

describe('topology', () => {
  it('routes by type with SQL filters derived from the same list', () => {
    expect(subscriptionsFor('order.submitted').map((s) => s.name)).toEqual(['orders-workflow', 'notifications']);
    expect(subscriptionsFor('order.sla-check-due').map((s) => s.name)).toEqual(['orders-workflow']);
    expect(subscriptionsFor('order.unknown-type')).toEqual([]);
    const notifications = TOPOLOGY.subscriptions.find((s) => s.name === 'notifications')!;
    expect(sqlFilter(notifications)).toBe("type IN ('order.submitted')");
    expect(sqlFilter({ ...notifications, eventTypes: [] })).toBe('1=0');
    for (const s of TOPOLOGY.subscriptions) expect(s.maxDeliveryCount).toBe(10);
  });

  it('a Service Bus message carries messageId = event id and the filterable properties', () => {
    const m = toServiceBusMessage({
      messageId: 'evt_1',
      body: submitted(),
      applicationProperties: { type: 'order.submitted', subject: 'ord_1', correlationId: 'corr-9' },
      correlationId: 'corr-9',
    });
    expect(m).toMatchObject({
      messageId: 'evt_1',
      correlationId: 'corr-9',
      contentType: 'application/json',
      subject: 'order.submitted',
    });
    expect(m.applicationProperties).toEqual({ type: 'order.submitted', subject: 'ord_1', correlationId: 'corr-9' });
  });
});

class MemoryOutbox implements Outbox {
  constructor(public entries: (OutboxEntry & { relayed: boolean })[]) {}
  async findUnrelayed(_olderThan: Date, limit: number) {
    return this.entries.filter((e) => !e.relayed).slice(0, limit);
  }
  async markRelayed(entries: readonly OutboxEntry[]) {
    for (const e of entries) this.entries.find((x) => x.id === e.id)!.relayed = true;
  }
}

const recordingPublisher = (fail = false) => {
  const sent: OutgoingMessage[] = [];
  const publisher: MessagePublisher = {
    publish: async (m) => {
      if (fail) throw new Error('bus down');
      sent.push(...m);
    },
  };
  return { sent, publisher };
};

describe('outbox relay', () => {
  it('publishes only unrelayed event documents, then marks them', async () => {
    const docs = [
      { id: 'ord_1', docType: 'order', clientId: 'c' },
      { id: 'evt_1', docType: 'event', clientId: 'c', relayed: false, envelope: submitted('evt_1') },
      { id: 'evt_0', docType: 'event', clientId: 'c', relayed: true, envelope: submitted('evt_0') },
    ];
    const entries = outboxEntriesIn(docs, 'clientId');
    expect(entries.map((e) => e.id)).toEqual(['evt_1']);
    const outbox = new MemoryOutbox(entries.map((e) => ({ ...e, relayed: false })));
    const { sent, publisher } = recordingPublisher();
    expect(await relay(entries, { publisher, outbox })).toBe(1);
    expect(sent[0]).toMatchObject({ messageId: 'evt_1', applicationProperties: { type: 'order.submitted', subject: 'ord_1' } });
    expect(outbox.entries[0]!.relayed).toBe(true);
  });

  it('a failed publish leaves events unrelayed for the sweep, which relays them later', async () => {
    const entry = { id: 'evt_2', partitionKey: 'c', event: submitted('evt_2'), relayed: false };
    const outbox = new MemoryOutbox([entry]);
    await expect(relay([entry], { outbox, publisher: recordingPublisher(true).publisher })).rejects.toThrow('bus down');
    expect(entry.relayed).toBe(false);
    const { sent, publisher } = recordingPublisher();
    expect(await sweepOutbox({ outbox, publisher, now: () => new Date() }, { olderThanMs: 0, batch: 10 })).toBe(1);
    expect(sent.map((m) => m.messageId)).toEqual(['evt_2']);
  });
});

class MemoryProcessed implements ProcessedEvents {
  readonly done = new Set<string>();
  async has(c: string, id: string) {
    return this.done.has(`${c}:${id}`);
  }
  async record(c: string, id: string) {
    this.done.add(`${c}:${id}`);
  }
}

describe('consumer framework', () => {
  const deps = () => ({ processed: new MemoryProcessed(), logger: silentLogger, now: () => new Date() });

  it('runs a handler once per event: a redelivery is acknowledged without effect', async () => {
    const d = deps();
    let runs = 0;
    const handlers = { 'order.submitted': async () => void runs++ };
    expect(await consume('notifications', submitted(), { deliveryCount: 1 }, d, handlers)).toBe('handled');
    expect(await consume('notifications', submitted(), { deliveryCount: 1 }, d, handlers)).toBe('duplicate');
    expect(runs).toBe(1);
  });

  it('a failing handler records nothing, so the retry runs it again', async () => {
    const d = deps();
    let attempts = 0;
    const handlers = {
      'order.submitted': async () => {
        if (++attempts < 3) throw new Error('flaky');
      },
    };
    await expect(consume('n', submitted(), { deliveryCount: 1 }, d, handlers)).rejects.toThrow('flaky');
    await expect(consume('n', submitted(), { deliveryCount: 2 }, d, handlers)).rejects.toThrow('flaky');
    expect(await consume('n', submitted(), { deliveryCount: 3 }, d, handlers)).toBe('handled');
    expect(attempts).toBe(3);
  });

  it('an invalid event throws with its reason (the bus dead-letters it); a type without handler is ignored', async () => {
    await expect(consume('n', { ...submitted(), type: 'nope' }, { deliveryCount: 1 }, deps(), {})).rejects.toThrow(
      /UnknownEventType/,
    );
    expect(await consume('n', submitted(), { deliveryCount: 1 }, deps(), {})).toBe('ignored');
  });
});

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
}

describe('order.submitted notifications', () => {
  async function setup() {
    const users = new MemoryUsers();
    const at = '2026-01-01T00:00:00.000Z';
    await users.put({
      userId: 'u-client',
      role: 'client',
      clientId: 'cli_1',
      name: 'Ana',
      email: 'ana@x.test',
      preferences: { channels: ['email'], locale: 'es-CO' },
      updatedAt: at,
    });
    await users.put({
      userId: 'u-op1',
      role: 'operator',
      name: 'Op',
      email: 'op@x.test',
      preferences: { channels: ['email', 'whatsapp'], locale: 'en' },
      updatedAt: at,
    });
    await users.put({ userId: 'u-op2', role: 'operator', preferences: { channels: ['email'], locale: 'es-CO' }, updatedAt: at });
    const sent: OutgoingEmail[] = [];
    const notifications = new MemoryNotifications();
    const deps = { users, notifications, clock: fixedClock(), email: { send: async (e: OutgoingEmail) => void sent.push(e) } };
    return { deps, sent, notifications };
  }
  const ctx = { logger: silentLogger, deliveryCount: 1 };

  it('writes one record per recipient and channel, in the recipient’s locale, escaped, and sends each once', async () => {
    const { deps, sent, notifications } = await setup();
    const event = parseEvent(submitted()) as Parameters<typeof notifyOrderSubmitted>[1];
    await notifyOrderSubmitted(deps, event, ctx);
    await notifyOrderSubmitted(deps, event, ctx); // redelivered
    expect(sent.map((s) => s.to).sort()).toEqual(['ana@x.test', 'op@x.test']);
    expect(sent.find((s) => s.to === 'ana@x.test')!.subject).toMatch(/^Orden recibida/);
    expect(sent.find((s) => s.to === 'op@x.test')!.subject).toMatch(/^Order received/);
    expect(sent[0]!.html).toContain('&lt;b&gt;grave&lt;/b&gt;');
    const statuses = Object.fromEntries([...notifications.items.values()].map((n) => [n.value.recipientUserId, n.value.status]));
    // The operator without an e-mail address gets a failed record, not an exception.
    expect(statuses).toEqual({ 'u-client': 'sent', 'u-op1': 'sent', 'u-op2': 'failed' });
    expect(notifications.items.get('evt_1.email.u-client')!.value.history.map((h) => h.status)).toEqual([
      'queued',
      'sending',
      'sent',
    ]);
  });

  it('a send that fails goes back to queued and is retried; one interrupted mid-send is not resent', async () => {
    const { deps, sent, notifications } = await setup();
    let fail = true;
    deps.email.send = async (e: OutgoingEmail) => {
      if (fail && e.to === 'ana@x.test') throw new Error('smtp down');
      sent.push(e);
    };
    const event = parseEvent(submitted('evt_5')) as Parameters<typeof notifyOrderSubmitted>[1];
    await expect(notifyOrderSubmitted(deps, event, ctx)).rejects.toThrow('smtp down');
    expect(notifications.items.get('evt_5.email.u-client')!.value.status).toBe('queued');
    fail = false;
    await notifyOrderSubmitted(deps, event, ctx);
    expect(sent.filter((s) => s.to === 'ana@x.test')).toHaveLength(1);

    const crashed = notifications.items.get('evt_5.email.u-op1')!;
    notifications.items.set('evt_5.email.u-op1', { ...crashed, value: { ...crashed.value, status: 'sending' } });
    const before = sent.length;
    await notifyOrderSubmitted(deps, event, ctx);
    expect(sent.length).toBe(before);
    expect(notifications.items.get('evt_5.email.u-op1')!.value.status).toBe('failed');
  });
});
