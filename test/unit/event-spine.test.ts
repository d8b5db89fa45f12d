import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { consume, type ProcessedEvents } from '../../shared/application/events/consumer';
import { RETRY_SCHEDULE, retryDelayMs } from '../../shared/application/events/retry';
import { UnavailableError } from '../../shared/application/errors';
import { PartnerRejectedError, PartnerUnavailableError } from '../../shared/application/integrations/errors';
import { InvalidEventError, parseEvent } from '../../shared/application/events/registry';
import { outboxEntriesIn } from '../../shared/adapters/cosmos/outbox';
import { relay, sweepOutbox, type Outbox, type OutboxEntry } from '../../shared/application/events/relay';
import type { MessagePublisher, OutgoingMessage } from '../../shared/application/messaging';
import { sqlFilter, subscriptionsFor, subscriptionsForMessage, TOPOLOGY } from '../../shared/adapters/servicebus/topology';
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
    expect(subscriptionsFor('order.submitted').map((s) => s.name)).toEqual(['orders-workflow', 'notifications', 'client-feed']);
    expect(subscriptionsFor('order.sla-check-due').map((s) => s.name)).toEqual(['orders-workflow']);
    expect(subscriptionsFor('order.unknown-type')).toEqual([]);
    const notifications = TOPOLOGY.subscriptions.find((s) => s.name === 'notifications')!;
    expect(sqlFilter({ ...notifications, eventTypes: ['order.submitted', "it's"] })).toBe(
      "type IN ('order.submitted', 'it''s') AND (target IS NULL OR target = 'notifications')",
    );
    expect(notifications.eventTypes).toContain('order.sla-breached');
    expect(sqlFilter({ ...notifications, eventTypes: [] })).toBe('1=0');
    for (const s of TOPOLOGY.subscriptions) expect(s.maxDeliveryCount).toBe(10);
  });

  it("a workflow's re-sent copy (target) goes only to the subscription it names", () => {
    const names = (p: Record<string, unknown>) => subscriptionsForMessage(p).map((s) => s.name);
    expect(names({ type: 'order.status-changed' })).toEqual([
      'orders-workflow',
      'providers-workflow',
      'notifications',
      'client-feed',
    ]);
    expect(names({ type: 'order.status-changed', target: 'providers-workflow' })).toEqual(['providers-workflow']);
    // A target that does not take the type reaches nobody, as the SQL rules decide it.
    expect(names({ type: 'order.sla-check-due', target: 'notifications' })).toEqual([]);
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
  const NOW = new Date('2026-03-01T12:00:00.000Z');
  const deps = (publisher = recordingPublisher()) => ({
    processed: new MemoryProcessed(),
    logger: silentLogger,
    now: () => NOW,
    retry: { publisher: publisher.publisher, random: () => 0 },
  });
  const failWith = (err: unknown) => ({
    'order.submitted': async () => {
      throw err;
    },
  });

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

  it('counts a dead letter when the last delivery fails, and only then', async () => {
    const deadLetters: { consumer: string; eventType: string }[] = [];
    const d = { ...deps(), metrics: { deadLettered: (a: { consumer: string; eventType: string }) => void deadLetters.push(a) } };
    const handlers = failWith(new Error('broken'));
    await expect(consume('n', submitted(), { deliveryCount: 9, maxDeliveryCount: 10 }, d, handlers)).rejects.toThrow('broken');
    expect(deadLetters).toEqual([]);
    await expect(consume('n', submitted(), { deliveryCount: 10, maxDeliveryCount: 10 }, d, handlers)).rejects.toThrow('broken');
    expect(deadLetters).toEqual([{ consumer: 'n', eventType: 'order.submitted' }]);
  });

  it("a handler's events continue the delivery's trace: the event it sees carries the invocation's traceparent", async () => {
    const seen: (string | undefined)[] = [];
    const handlers = { 'order.submitted': async (e: { traceparent?: string }) => void seen.push(e.traceparent) };
    const delivery = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await consume('t', submitted(), { deliveryCount: 1, traceparent: delivery }, deps(), handlers);
    expect(seen).toEqual([delivery]);
  });

  it('the schedule: 5 s × 2ⁿ capped at 10 min, a longer Retry-After honoured (up to 1 h), jitter only added', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => retryDelayMs(attempt, 0, RETRY_SCHEDULE, () => 0) / 1000);
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 320, 600, 600]);
    expect(retryDelayMs(1, 30_000, RETRY_SCHEDULE, () => 0)).toBe(30_000);
    expect(retryDelayMs(5, 30_000, RETRY_SCHEDULE, () => 0)).toBe(80_000);
    expect(retryDelayMs(1, 86_400_000, RETRY_SCHEDULE, () => 0)).toBe(3_600_000);
    expect(retryDelayMs(1, 30_000, RETRY_SCHEDULE, () => 0.999)).toBeGreaterThan(32_900);
    expect(retryDelayMs(1, 30_000, RETRY_SCHEDULE, () => 0.999)).toBeLessThanOrEqual(33_000);
    expect(RETRY_SCHEDULE.maxAttempts).toBe(10);
  });

  it('"not now" completes the message and schedules a copy for this subscription only, at the right time, attempt + 1', async () => {
    const bus = recordingPublisher();
    const d = deps(bus);
    // A partner's Retry-After (30 s) longer than the first backoff (5 s) is waited instead.
    const circuitOpen = new PartnerUnavailableError('docusign', 'create envelope', 'circuit-open', { retryAfterMs: 30_000 });
    expect(await consume('orders-workflow', submitted('evt_r1'), { deliveryCount: 1 }, d, failWith(circuitOpen))).toBe(
      'rescheduled',
    );
    // Cosmos busy (UnavailableError, 3 s) and a sender's retryAfterMs (2 s) are shorter: the backoff.
    expect(
      await consume('orders-workflow', submitted('evt_r2'), { deliveryCount: 1 }, d, failWith(new UnavailableError('busy', 3))),
    ).toBe('rescheduled');
    const asana429 = Object.assign(new Error('asana 429'), { retryAfterMs: 2000 });
    expect(await consume('orders-workflow', submitted('evt_r3'), { deliveryCount: 3 }, d, failWith(asana429))).toBe(
      'rescheduled',
    );
    expect(bus.sent.map((m) => [m.body.id, m.scheduledEnqueueTime!.getTime() - NOW.getTime()])).toEqual([
      ['evt_r1', 30_000],
      ['evt_r2', 5_000],
      ['evt_r3', 5_000],
    ]);
    const [copy] = bus.sent;
    expect(copy!.body).toEqual(submitted('evt_r1')); // the same event, the same id inside
    expect(copy!.messageId).toMatch(/^evt_r1:retry:orders-workflow:2:c[0-9a-f]{7}$/);
    expect(copy!.applicationProperties).toEqual({
      type: 'order.submitted',
      subject: 'ord_1',
      correlationId: 'corr-9',
      target: 'orders-workflow',
      attempt: 2,
      retryChain: copy!.messageId.split(':').at(-1),
      retryReason: 'docusign unavailable during "create envelope": circuit-open',
    });
    expect(subscriptionsForMessage(copy!.applicationProperties).map((s) => s.name)).toEqual(['orders-workflow']);
    expect(await d.processed.has('orders-workflow', 'evt_r1')).toBe(false);

    // The copy fails again: attempt 3 after 10 s, in the same chain (a messageId of its own).
    expect(
      await consume(
        'orders-workflow',
        copy!.body,
        { deliveryCount: 1, messageId: copy!.messageId, applicationProperties: copy!.applicationProperties },
        d,
        failWith(new UnavailableError('busy', 1)),
      ),
    ).toBe('rescheduled');
    const next = bus.sent.at(-1)!;
    expect(next.applicationProperties).toMatchObject({ attempt: 3, retryChain: copy!.applicationProperties.retryChain });
    expect(next.messageId).toBe(`evt_r1:retry:orders-workflow:3:${String(copy!.applicationProperties.retryChain)}`);
    expect(next.scheduledEnqueueTime!.getTime() - NOW.getTime()).toBe(10_000);
  });

  it('the last attempt is not re-sent: the failure is thrown, so the bus dead-letters the copy with it', async () => {
    const bus = recordingPublisher();
    const d = deps(bus);
    const last = { deliveryCount: 1, applicationProperties: { attempt: 10, retryChain: 'cabcd123', target: 'orders-workflow' } };
    const err = new PartnerUnavailableError('docusign', 'create envelope', 'rate-limited', { retryAfterMs: 11_000 });
    await expect(consume('orders-workflow', submitted('evt_l'), last, d, failWith(err))).rejects.toThrow(
      /^docusign unavailable during "create envelope": rate-limited$/,
    );
    // Its further deliveries (the bus redelivers an abandoned message at once) are no attempts more.
    await expect(
      consume('orders-workflow', submitted('evt_l'), { ...last, deliveryCount: 2 }, d, failWith(err)),
    ).rejects.toThrow();
    expect(bus.sent).toEqual([]);
    // A shorter schedule ends sooner.
    const short = { ...d, retry: { ...d.retry, schedule: { ...RETRY_SCHEDULE, maxAttempts: 2 } } };
    const second = { deliveryCount: 1, applicationProperties: { attempt: 2 } };
    await expect(consume('orders-workflow', submitted('evt_s'), second, short, failWith(err))).rejects.toThrow();
    expect(bus.sent).toEqual([]);
  });

  it('a permanent failure (or one that names no time) is thrown as before: the bus redelivers and dead-letters it', async () => {
    const bus = recordingPublisher();
    const d = deps(bus);
    const rejected = new PartnerRejectedError('docusign', 'create envelope', 400, { errorCode: 'INVALID_EMAIL_ADDRESS' });
    await expect(consume('n', submitted('evt_p1'), { deliveryCount: 1 }, d, failWith(rejected))).rejects.toThrow(
      /INVALID_EMAIL_ADDRESS/,
    );
    await expect(consume('n', submitted('evt_p2'), { deliveryCount: 1 }, d, failWith(new Error('a bug')))).rejects.toThrow(
      'a bug',
    );
    expect(bus.sent).toEqual([]);
  });

  it('a copy that cannot be sent fails the delivery, so the bus redelivers the message instead', async () => {
    const d = deps(recordingPublisher(true));
    await expect(
      consume('n', submitted('evt_b'), { deliveryCount: 1 }, d, failWith(new UnavailableError('busy', 3))),
    ).rejects.toThrow('busy');
  });

  it('a re-sent copy delivered twice (or after the original succeeded) is processed once', async () => {
    const bus = recordingPublisher();
    const d = deps(bus);
    let runs = 0;
    let failing = true;
    const handlers = {
      'order.submitted': async () => {
        runs++;
        if (failing) throw new UnavailableError('busy', 1);
      },
    };
    expect(await consume('orders-workflow', submitted('evt_d'), { deliveryCount: 1 }, d, handlers)).toBe('rescheduled');
    failing = false;
    const copy = bus.sent[0]!;
    const delivery = { deliveryCount: 1, messageId: copy.messageId, applicationProperties: copy.applicationProperties };
    expect(await consume('orders-workflow', copy.body, delivery, d, handlers)).toBe('handled');
    expect(await consume('orders-workflow', copy.body, { ...delivery, deliveryCount: 2 }, d, handlers)).toBe('duplicate');
    // The original, redelivered after a crash before its completion, is a duplicate too.
    expect(await consume('orders-workflow', submitted('evt_d'), { deliveryCount: 2 }, d, handlers)).toBe('duplicate');
    expect(runs).toBe(2);
    expect(bus.sent).toHaveLength(1);
  });

  it('an invalid event throws with its reason (the bus dead-letters it); a type without handler is ignored', async () => {
    await expect(consume('n', { ...submitted(), type: 'nope' }, { deliveryCount: 1 }, deps(), {})).rejects.toThrow(
      /UnknownEventType/,
    );
    expect(await consume('n', submitted(), { deliveryCount: 1 }, deps(), {})).toBe('ignored');
  });
});
