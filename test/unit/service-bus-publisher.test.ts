import type { ServiceBusClient, ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from '@azure/service-bus';
import { describe, expect, it } from 'vitest';
import { ServiceBusPublisher } from '../../shared/adapters/servicebus/service-bus-publisher';
import { DOMAIN_EVENTS_TOPIC } from '../../shared/adapters/servicebus/topology';
import { messageFor } from '../../shared/application/messaging';
import { retryMessage } from '../../shared/application/events/retry';
import { submittedEvent } from '../support/events';

/**
 * The Service Bus sender through the SDK's public types: a recording client stands in for the
 * namespace (test/azure/service-bus.test.ts talks to a real one when its settings exist).
 */
function recordingClient(opts: { batchCapacity?: number; failCreate?: number } = {}) {
  const sent: ServiceBusMessage[][] = [];
  const scheduled: { message: ServiceBusMessage; at: Date }[] = [];
  const topics: string[] = [];
  let createFailures = opts.failCreate ?? 0;
  const capacity = opts.batchCapacity ?? 100;
  const batch = (): ServiceBusMessageBatch => {
    const items: ServiceBusMessage[] = [];
    return {
      get count() {
        return items.length;
      },
      tryAddMessage: (m: ServiceBusMessage) => (items.length < capacity ? (items.push(m), true) : false),
      _items: items,
    } as unknown as ServiceBusMessageBatch;
  };
  const sender = {
    createMessageBatch: async () => batch(),
    sendMessages: async (b: ServiceBusMessageBatch) =>
      void sent.push([...(b as unknown as { _items: ServiceBusMessage[] })._items]),
    scheduleMessages: async (m: ServiceBusMessage, at: Date) => {
      scheduled.push({ message: m, at });
      return [1n];
    },
  } as unknown as ServiceBusSender;
  const create = async (): Promise<ServiceBusClient> => {
    if (createFailures-- > 0) throw new Error('namespace unreachable');
    return { createSender: (topic: string) => (topics.push(topic), sender) } as unknown as ServiceBusClient;
  };
  return { create, sent, scheduled, topics };
}

describe('Service Bus publisher', () => {
  it('sends to domain-events with messageId = event id, batching and splitting full batches', async () => {
    const bus = recordingClient({ batchCapacity: 2 });
    const publisher = new ServiceBusPublisher(bus.create);
    await publisher.publish(['evt_1', 'evt_2', 'evt_3'].map((id) => messageFor(submittedEvent(id))));
    expect(bus.topics).toEqual([DOMAIN_EVENTS_TOPIC]);
    expect(bus.sent.map((b) => b.map((m) => m.messageId))).toEqual([['evt_1', 'evt_2'], ['evt_3']]);
    expect(bus.sent[0]![0]).toMatchObject({
      correlationId: 'corr-9',
      subject: 'order.submitted',
      applicationProperties: { type: 'order.submitted', subject: 'ord_1', correlationId: 'corr-9' },
    });
    await publisher.publish([messageFor(submittedEvent('evt_4'))]);
    expect(bus.topics).toHaveLength(1); // one sender, created once
  });

  it('schedules deadline messages with scheduledEnqueueTime through the same sender', async () => {
    const bus = recordingClient();
    const publisher = new ServiceBusPublisher(bus.create);
    const due = new Date('2026-12-01T08:00:00.000Z');
    await publisher.publish([messageFor(submittedEvent('evt_due'), due), messageFor(submittedEvent('evt_now'))]);
    expect(bus.scheduled).toEqual([{ message: expect.objectContaining({ messageId: 'evt_due' }), at: due }]);
    expect(bus.sent.flat().map((m) => m.messageId)).toEqual(['evt_now']);
  });

  it("schedules a workflow's re-sent copy with its own messageId, its target and attempt (docs/events.md, Retries)", async () => {
    const bus = recordingClient();
    const publisher = new ServiceBusPublisher(bus.create);
    const at = new Date('2026-12-01T08:00:05.000Z');
    await publisher.publish([retryMessage(submittedEvent('evt_r'), 'orders-workflow', 2, 'cabcd123', at, 'asana busy')]);
    expect(bus.sent).toEqual([]);
    expect(bus.scheduled).toEqual([
      {
        message: expect.objectContaining({
          messageId: 'evt_r:retry:orders-workflow:2:cabcd123',
          subject: 'order.submitted',
          body: submittedEvent('evt_r'),
          applicationProperties: {
            type: 'order.submitted',
            subject: 'ord_1',
            correlationId: 'corr-9',
            target: 'orders-workflow',
            attempt: 2,
            retryChain: 'cabcd123',
            retryReason: 'asana busy',
          },
        }),
        at,
      },
    ]);
  });

  it('a client that could not be created is created again on the next publish', async () => {
    const bus = recordingClient({ failCreate: 1 });
    const publisher = new ServiceBusPublisher(bus.create);
    await expect(publisher.publish([messageFor(submittedEvent('evt_a'))])).rejects.toThrow('namespace unreachable');
    await publisher.publish([messageFor(submittedEvent('evt_a'))]);
    expect(bus.sent.flat().map((m) => m.messageId)).toEqual(['evt_a']);
  });
});
