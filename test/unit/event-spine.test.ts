import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { consume, MAX_HOLD_MS, type ProcessedEvents } from '../../shared/application/events/consumer';
import { UnavailableError } from '../../shared/application/errors';
import { InvalidEventError, parseEvent } from '../../shared/application/events/registry';
import { outboxEntriesIn, relay, sweepOutbox, type Outbox, type OutboxEntry } from '../../shared/application/events/relay';
import type { MessagePublisher, OutgoingMessage } from '../../shared/application/messaging';
import { sqlFilter, subscriptionsFor, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { toServiceBusMessage } from '../../shared/adapters/servicebus/service-bus-publisher';
import { silentLogger } from '../../shared/platform/logger';
import { submittedEvent } from '../support/events';

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
    expect(sqlFilter({ ...notifications, eventTypes: ['order.submitted', "it's"] })).toBe("type IN ('order.submitted', 'it''s')");
    expect(notifications.eventTypes).toContain('order.sla-breached');
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

  it('a failure that says "not now" holds the message that long (capped) before the bus redelivers; others at once', async () => {
    const held: number[] = [];
    const d = { ...deps(), sleep: async (ms: number) => void held.push(ms) };
    const fail = (err: Error) => ({
      'order.submitted': async () => {
        throw err;
      },
    });
    await expect(
      consume('n', submitted('evt_h1'), { deliveryCount: 1 }, d, fail(new UnavailableError('cosmos busy', 3))),
    ).rejects.toThrow();
    await expect(
      consume(
        'n',
        submitted('evt_h2'),
        { deliveryCount: 1 },
        d,
        fail(Object.assign(new Error('asana 429'), { retryAfterMs: 7000 })),
      ),
    ).rejects.toThrow();
    await expect(
      consume('n', submitted('evt_h3'), { deliveryCount: 1 }, d, fail(new UnavailableError('circuit open', 600))),
    ).rejects.toThrow();
    await expect(consume('n', submitted('evt_h4'), { deliveryCount: 1 }, d, fail(new Error('a bug')))).rejects.toThrow('a bug');
    expect(held).toEqual([3000, 7000, MAX_HOLD_MS]);
  });

  it('an invalid event throws with its reason (the bus dead-letters it); a type without handler is ignored', async () => {
    await expect(consume('n', { ...submitted(), type: 'nope' }, { deliveryCount: 1 }, deps(), {})).rejects.toThrow(
      /UnknownEventType/,
    );
    expect(await consume('n', submitted(), { deliveryCount: 1 }, deps(), {})).toBe('ignored');
  });
});
