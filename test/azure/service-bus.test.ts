import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createServiceBusClient, ServiceBusPublisher } from '../../shared/adapters/servicebus/service-bus-publisher';
import { DOMAIN_EVENTS_TOPIC } from '../../shared/adapters/servicebus/topology';
import { messageFor } from '../../shared/application/messaging';
import { retryMessage } from '../../shared/application/events/retry';
import { submittedEvent } from '../support/events';

/**
 * Against a real namespace deployed from infra/ — only when AZURE_TEST_SERVICEBUS_NAMESPACE
 * (`<name>.servicebus.windows.net`) is set and DefaultAzureCredential can sign in (az login, or a
 * pipeline's service connection) with the Data Owner role. It publishes one `order.submitted` event
 * and receives it from the `notifications` subscription; and a workflow's re-sent copy, scheduled,
 * which only the subscription it names receives (the SQL rules' `target`).
 */
const namespace = process.env.AZURE_TEST_SERVICEBUS_NAMESPACE;
if (!namespace)
  console.info('test/azure/service-bus: skipped — set AZURE_TEST_SERVICEBUS_NAMESPACE to run it against a real namespace');

describe.skipIf(!namespace)('Service Bus namespace (real)', () => {
  const clients: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  it('an event published by the app arrives on its subscription with messageId = event id', async () => {
    const client = await createServiceBusClient(namespace!);
    clients.push(client);
    const id = `evt_test_${randomUUID()}`;
    await new ServiceBusPublisher(async () => client).publish([messageFor(submittedEvent(id))]);
    const receiver = client.createReceiver(DOMAIN_EVENTS_TOPIC, 'notifications');
    clients.push(receiver);
    const deadline = Date.now() + 60_000;
    let found: { messageId?: unknown; applicationProperties?: Record<string, unknown> } | undefined;
    while (!found && Date.now() < deadline) {
      for (const m of await receiver.receiveMessages(10, { maxWaitTimeInMs: 5000 })) {
        if (m.messageId === id) found = m;
        await receiver.completeMessage(m);
      }
    }
    expect(found?.applicationProperties).toMatchObject({ type: 'order.submitted' });
  }, 90_000);

  it("a workflow's re-sent copy is scheduled and reaches only the subscription it names (docs/events.md, Retries)", async () => {
    const client = await createServiceBusClient(namespace!);
    clients.push(client);
    const event = submittedEvent(`evt_test_${randomUUID()}`);
    const due = new Date(Date.now() + 10_000);
    const copy = retryMessage(event, 'orders-workflow', 2, 'ctest123', due, 'test');
    await new ServiceBusPublisher(async () => client).publish([copy]);
    const receivedBy = async (subscription: string, waitMs: number) => {
      const receiver = client.createReceiver(DOMAIN_EVENTS_TOPIC, subscription);
      clients.push(receiver);
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        for (const m of await receiver.receiveMessages(10, { maxWaitTimeInMs: 5000 })) {
          if (m.messageId !== copy.messageId) continue;
          await receiver.completeMessage(m);
          return { at: Date.now(), applicationProperties: m.applicationProperties };
        }
      }
      return undefined;
    };
    const [orders, notifications] = await Promise.all([
      receivedBy('orders-workflow', 60_000),
      receivedBy('notifications', 30_000),
    ]);
    expect(orders?.at).toBeGreaterThanOrEqual(due.getTime());
    expect(orders?.applicationProperties).toMatchObject({ target: 'orders-workflow', attempt: 2, retryChain: 'ctest123' });
    expect(notifications).toBeUndefined();
  }, 90_000);
});
